/** Sorting and filtering of the inventory grid (pure, unit-tested). */
import type { NodeView } from "../bindings";

export type SortKey = "name" | "kind" | "schema" | "owner" | "system" | "wave" | "rows" | "bytes";
export type SortDir = "asc" | "desc";

export interface GridFilter {
  /** Case-insensitive substring of name or id. */
  text: string;
  kind: string;
  owner: string;
  system: string;
  /** Wave number as text; empty = all. */
  wave: string;
  /** Minimum estimated rows; empty = no minimum. */
  minRows: string;
}

export const NO_VALUE = "(none)";

export const emptyFilter: GridFilter = { text: "", kind: "", owner: "", system: "", wave: "", minRows: "" };

function field(row: NodeView, key: "owner" | "system"): string {
  return row[key] ?? NO_VALUE;
}

export function filterRows(rows: readonly NodeView[], f: GridFilter): NodeView[] {
  const text = f.text.trim().toLowerCase();
  const minRows = f.minRows.trim() === "" ? null : Number(f.minRows);
  return rows.filter(
    (r) =>
      (text === "" || r.name.toLowerCase().includes(text) || r.id.toLowerCase().includes(text)) &&
      (f.kind === "" || r.kind === f.kind) &&
      (f.owner === "" || field(r, "owner") === f.owner) &&
      (f.system === "" || field(r, "system") === f.system) &&
      (f.wave === "" || String(r.wave) === f.wave) &&
      (minRows === null || Number.isNaN(minRows) || (r.rows ?? 0) >= minRows),
  );
}

function compareValues(a: string | number | null, b: string | number | null): number {
  // Unknown values sort last in both directions' natural order.
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "en", { numeric: true, sensitivity: "base" });
}

export function sortRows(rows: readonly NodeView[], key: SortKey, dir: SortDir): NodeView[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((x, y) => {
    const a = x[key] ?? null;
    const b = y[key] ?? null;
    if (a === null || b === null) return compareValues(a, b);
    return sign * compareValues(a, b) || x.id.localeCompare(y.id);
  });
}

/** Distinct values of a column for its filter menu, sorted, `(none)` for missing ones. */
export function distinct(rows: readonly NodeView[], key: "kind" | "owner" | "system" | "wave"): string[] {
  const values = new Set<string>();
  for (const r of rows) {
    const v = r[key];
    values.add(v === null || v === undefined ? NO_VALUE : String(v));
  }
  return [...values].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
