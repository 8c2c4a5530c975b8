/** The Mapping screen's rule form: what a person types, turned into the one rule edit the engine applies. */
import type { MappingFinding_Serialize, MappingRow_Serialize, MappingRuleEdit_Deserialize } from "../bindings";

type Change = MappingRuleEdit_Deserialize["changes"][number];

export interface RuleForm {
  /** Target column name; the source column's own name means no rename. */
  target: string;
  /** Target type without ` NOT NULL`; the default type means no cast. */
  type: string;
  drop: boolean;
  reason: string;
  author: string;
}

/** The target type as the rule writes it (the grid shows ` NOT NULL` after it). */
export function bareType(targetType: string): string {
  return targetType.replace(/ NOT NULL$/, "");
}

/** The form a row opens with. */
export function ruleForm(row: MappingRow_Serialize, author: string): RuleForm {
  const dropped = row.target_column === "";
  return {
    target: dropped ? row.source_column : row.target_column,
    type: dropped ? "" : bareType(row.target_type),
    drop: dropped,
    reason: row.rule === "default" ? "" : row.reason,
    author: row.rule === "default" || !row.author ? author : row.author,
  };
}

/**
 * The edit of `row`'s rule the form asks for: a rename only when the name changed, a dropped
 * column loses its type (a drop with a type is refused), reason and author always.
 */
export function ruleEdit(table: string, row: MappingRow_Serialize, form: RuleForm): MappingRuleEdit_Deserialize {
  const changes: Change[] = [];
  const set = (field: Change["field"], value: string | null) => changes.push({ field, value });
  if (form.drop) {
    set("type", null);
    set("target", null);
    set("drop", "true");
  } else {
    set("drop", null);
    const target = form.target.trim();
    set("target", target === "" || target === row.source_column ? null : target);
    const type = form.type.trim();
    if (type !== "") set("type", type);
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
