/** What fills a column an insert leaves out, as the drill-down says it. */
export type ColumnValueSource = { generated: string | null; default: string | null; on_update: string | null };

/** `generated (AUTO_INCREMENT)`, `default CURRENT_TIMESTAMP · on update CURRENT_TIMESTAMP`, or
 *  empty when the database writes NULL (or refuses the insert). */
export function columnValue(c: ColumnValueSource): string {
  const parts = [
    c.generated !== null ? `generated (${c.generated})` : null,
    c.default !== null ? `default ${c.default}` : null,
    c.on_update !== null ? `on update ${c.on_update}` : null,
  ];
  return parts.filter((p) => p !== null).join(" · ");
}
