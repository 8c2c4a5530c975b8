/** The Mapping screen's rule form: what a person types, turned into the one rule edit the engine applies. */
import type { MappingFinding_Serialize, MappingRow_Serialize, MappingRuleEdit_Deserialize } from "../bindings";
import { CommandError } from "./errors";

type Change = MappingRuleEdit_Deserialize["changes"][number];

export interface RuleForm {
  /** Target column name; the source column's own name means no rename. */
  target: string;
  /** Target type without ` NOT NULL`; the default type means no cast. */
  type: string;
  drop: boolean;
  /** The expression the value is computed by; empty: copied as it is. */
  derive: string;
  /** What a NULL becomes (`0`, `true`, `'n/a'` or bare text); empty: NULL stays NULL. */
  nullDefault: string;
  /** Whether the target column is NOT NULL. */
  notNull: boolean;
  reason: string;
  author: string;
}

/** The target type as the rule writes it (the grid shows ` NOT NULL` after it). */
export function bareType(targetType: string): string {
  return targetType.replace(/ NOT NULL$/, "");
}

/** Whether the grid's target type says NOT NULL. */
function saysNotNull(targetType: string): boolean {
  return targetType.endsWith(" NOT NULL");
}

/**
 * The target column as the grid shows it: its name, qualified by its table when a table split
 * puts it in another table than the source table's main target (`film_detail.description`).
 */
export function targetColumnShown(row: MappingRow_Serialize, mainTarget: string): string {
  return row.target_table !== "" && row.target_table !== mainTarget ? `${row.target_table}.${row.target_column}` : row.target_column;
}

/** The form a row opens with: the rule's current values. */
export function ruleForm(row: MappingRow_Serialize, author: string): RuleForm {
  const dropped = row.target_column === "";
  return {
    target: dropped ? row.source_column : row.target_column,
    type: dropped ? "" : bareType(row.target_type),
    drop: dropped,
    derive: row.derive,
    nullDefault: row.null_default,
    notNull: row.not_null ?? saysNotNull(row.target_type),
    reason: row.rule === "default" ? "" : row.reason,
    author: row.rule === "default" || !row.author ? author : row.author,
  };
}

/**
 * The edit of `row`'s rule the form asks for: a rename only when the name changed, a dropped
 * column loses its type, expression, NULL default and NOT NULL (a drop with any of them is
 * refused), an empty expression or NULL default clears it, NOT NULL is written only when it
 * differs from what the column has without a rule saying; reason and author always.
 */
export function ruleEdit(table: string, row: MappingRow_Serialize, form: RuleForm): MappingRuleEdit_Deserialize {
  const changes: Change[] = [];
  const set = (field: Change["field"], value: string | null) => changes.push({ field, value });
  const orClear = (text: string) => (text.trim() === "" ? null : text.trim());
  if (form.drop) {
    for (const field of ["type", "target", "derive", "null_default", "not_null"] as const) set(field, null);
    set("drop", "true");
  } else {
    set("drop", null);
    const target = form.target.trim();
    if (!row.computed) set("target", target === "" || target === row.source_column ? null : target);
    const type = form.type.trim();
    if (type !== "") set("type", type);
    set("derive", orClear(form.derive));
    set("null_default", orClear(form.nullDefault));
    const inherited = row.not_null === null && form.notNull === saysNotNull(row.target_type);
    set("not_null", inherited ? null : String(form.notNull));
  }
  set("reason", form.reason.trim());
  set("author", form.author.trim());
  return { table, column: row.source_column, changes };
}

/** A finding's data count in words: `17 rows longer than 10 characters, e.g. film_id 12, film_id 88`. */
export function countText(f: MappingFinding_Serialize): string | null {
  if (!f.data) return null;
  const n = f.data.rows ?? 0;
  const rows = `${n.toLocaleString("en")} row${n === 1 ? "" : "s"} ${f.data.condition}`;
  return f.data.examples.length > 0 ? `${rows}, e.g. ${f.data.examples.join(", ")}` : rows;
}

/** Findings of a table in all (its own and its columns'), and how many block the review. */
export function tableCounts(t: { findings: MappingFinding_Serialize[]; rows: { findings: MappingFinding_Serialize[] }[] }): { all: number; blocking: number } {
  const all = [...t.findings, ...t.rows.flatMap((r) => r.findings)];
  return { all: all.length, blocking: all.filter((f) => f.severity === "error" && !f.accepted).length };
}

/** The "Add computed column" form: a column only the target has. */
export interface ComputedForm {
  name: string;
  /** Target type; empty: the kind the expression yields. */
  type: string;
  derive: string;
  reason: string;
  author: string;
}

export function emptyComputed(author: string): ComputedForm {
  return { name: "", type: "", derive: "", reason: "", author };
}

/**
 * The edit adding a computed column to `table`, or what is wrong with the form: a name the
 * table has already (that would derive the column in place), an empty name or expression.
 */
export function computedEdit(table: string, existing: string[], form: ComputedForm): { edit: MappingRuleEdit_Deserialize } | { problem: string } {
  const name = form.name.trim();
  if (name === "") return { problem: "Give the new column a name." };
  if (existing.some((c) => c.toLowerCase() === name.toLowerCase())) {
    return { problem: `${table} already has a column named ${name}: edit its rule to compute it in place, or pick another name.` };
  }
  if (form.derive.trim() === "") return { problem: "Give the expression the column is computed by, e.g. lower(email)." };
  const changes: Change[] = [{ field: "derive", value: form.derive.trim() }];
  if (form.type.trim() !== "") changes.push({ field: "type", value: form.type.trim() });
  changes.push({ field: "reason", value: form.reason.trim() }, { field: "author", value: form.author.trim() });
  return { edit: { table, column: name, changes } };
}

/**
 * Which form field a refused edit is about (the last part of the engine's dotted field,
 * `tables."sakila.film".columns.title.null_default` → `nullDefault`); `null` for another error.
 */
export function fieldAtFault(error: unknown): keyof RuleForm | "name" | null {
  if (!(error instanceof CommandError) || !error.error.field) return null;
  const last = error.error.field.split(".").pop() ?? "";
  const fields: Record<string, keyof RuleForm> = {
    target: "target",
    type: "type",
    derive: "derive",
    null_default: "nullDefault",
    not_null: "notNull",
    drop: "drop",
    reason: "reason",
    author: "author",
  };
  return fields[last] ?? "name";
}
