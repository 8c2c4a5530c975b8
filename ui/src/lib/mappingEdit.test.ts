import { describe, expect, it } from "vitest";
import type { MappingFinding_Serialize, MappingRow_Serialize } from "../bindings";
import { CommandError } from "./errors";
import { computedEdit, countText, emptyComputed, fieldAtFault, ruleEdit, ruleForm, tableCounts, targetColumnShown } from "./mappingEdit";

const title: MappingRow_Serialize = {
  source_column: "title",
  source_type: "VARCHAR(255)",
  target_table: "film",
  target_column: "title",
  target_type: "varchar(255) NOT NULL",
  rule: "default",
  reason: "default mapping",
  author: "mapping init",
  derive: "",
  null_default: "",
  not_null: null,
  computed: false,
  findings: [],
};

const form = { target: "title", type: "varchar(255)", drop: false, derive: "", nullDefault: "", notNull: true, reason: "r", author: "ana" };

const m001: MappingFinding_Serialize = {
  code: "M001",
  severity: "error",
  entry: "sakila.film.title",
  line: 12,
  message: "longer",
  fix: "widen",
  accepted: null,
  data: { rows: 17, condition: "longer than 10 characters", examples: ["film_id 12", "film_id 88"] },
};

describe("mapping rule form", () => {
  it("opens a default rule with the person's name and no reason", () => {
    expect(ruleForm(title, "ana")).toEqual({ ...form, reason: "" });
  });

  it("opens with the rule's expression, NULL default and NOT NULL", () => {
    const row = { ...title, rule: "derive,null_default,not_null", derive: "upper(title)", null_default: "'?'", not_null: false, reason: "loud", author: "ben" };
    expect(ruleForm(row, "ana")).toMatchObject({ derive: "upper(title)", nullDefault: "'?'", notNull: false, reason: "loud", author: "ben" });
  });

  it("sends a cast without a rename", () => {
    const edit = ruleEdit("sakila.film", title, { ...form, type: "varchar(10)", reason: "short" });
    expect(edit.changes).toEqual([
      { field: "drop", value: null },
      { field: "target", value: null },
      { field: "type", value: "varchar(10)" },
      { field: "derive", value: null },
      { field: "null_default", value: null },
      { field: "not_null", value: null },
      { field: "reason", value: "short" },
      { field: "author", value: "ana" },
    ]);
  });

  it("drops the type with the column", () => {
    const edit = ruleEdit("sakila.film", title, { ...form, derive: "lower(title)", drop: true, reason: "unused" });
    expect(edit.changes.slice(0, 6)).toEqual([
      { field: "type", value: null },
      { field: "target", value: null },
      { field: "derive", value: null },
      { field: "null_default", value: null },
      { field: "not_null", value: null },
      { field: "drop", value: "true" },
    ]);
  });

  it("writes an expression, a NULL default and a NOT NULL that differs from the column's", () => {
    const row = { ...title, target_type: "varchar(255)" };
    const edit = ruleEdit("sakila.film", row, { ...form, derive: " lower(title) ", nullDefault: "'n/a'", notNull: true });
    expect(edit.changes).toContainEqual({ field: "derive", value: "lower(title)" });
    expect(edit.changes).toContainEqual({ field: "null_default", value: "'n/a'" });
    expect(edit.changes).toContainEqual({ field: "not_null", value: "true" });
    const said = ruleEdit("sakila.film", { ...title, not_null: true }, form);
    expect(said.changes).toContainEqual({ field: "not_null", value: "true" });
  });

  it("never renames a computed column through its key", () => {
    const row = { ...title, source_column: "initials", source_type: "", computed: true, rule: "computed" };
    expect(ruleEdit("sakila.film", row, { ...form, target: "other" }).changes.some((c) => c.field === "target")).toBe(false);
  });

  it("adds a computed column, refusing an empty name, a name the table has and no expression", () => {
    const good = { ...emptyComputed("ana"), name: "initials", type: "char(2)", derive: "substr(title, 1, 2)", reason: "search" };
    expect(computedEdit("sakila.film", ["title"], good)).toEqual({
      edit: {
        table: "sakila.film",
        column: "initials",
        changes: [
          { field: "derive", value: "substr(title, 1, 2)" },
          { field: "type", value: "char(2)" },
          { field: "reason", value: "search" },
          { field: "author", value: "ana" },
        ],
      },
    });
    expect(computedEdit("sakila.film", ["title"], { ...good, name: " " })).toEqual({ problem: "Give the new column a name." });
    expect(computedEdit("sakila.film", ["title"], { ...good, name: "Title" })).toHaveProperty("problem");
    expect(computedEdit("sakila.film", ["title"], { ...good, derive: "" })).toHaveProperty("problem");
  });

  it("finds the form field a refused edit names", () => {
    const refused = (field: string | null) =>
      new CommandError({ code: "invalid_input", message: "m", hint: null, field });
    expect(fieldAtFault(refused('tables."sakila.film".columns.title.null_default'))).toBe("nullDefault");
    expect(fieldAtFault(refused('tables."sakila.film".columns.title.derive'))).toBe("derive");
    expect(fieldAtFault(refused(null))).toBeNull();
    expect(fieldAtFault(new Error("x"))).toBeNull();
  });

  it("says a count with its examples and counts what blocks", () => {
    expect(countText(m001)).toBe("17 rows longer than 10 characters, e.g. film_id 12, film_id 88");
    expect(countText({ ...m001, data: null })).toBeNull();
    const accepted = { ...m001, accepted: { reason: "ok", author: "ben" } };
    expect(tableCounts({ findings: [], rows: [{ findings: [m001] }, { findings: [accepted] }] })).toEqual({ all: 2, blocking: 1 });
  });
});

describe("targetColumnShown", () => {
  it("names the table of the split a column moved to, and only then", () => {
    expect(targetColumnShown(title, "film")).toBe("title");
    expect(targetColumnShown({ ...title, target_table: "film_detail", target_column: "description" }, "film")).toBe("film_detail.description");
    expect(targetColumnShown({ ...title, target_table: "", target_column: "" }, "film")).toBe("");
  });
});
