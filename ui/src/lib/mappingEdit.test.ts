import { describe, expect, it } from "vitest";
import type { MappingFinding_Serialize, MappingRow_Serialize } from "../bindings";
import { countText, ruleEdit, ruleForm, tableCounts } from "./mappingEdit";

const title: MappingRow_Serialize = {
  source_column: "title",
  source_type: "VARCHAR(255)",
  target_column: "title",
  target_type: "varchar(255) NOT NULL",
  rule: "default",
  reason: "default mapping",
  author: "mapping init",
  findings: [],
};

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
    expect(ruleForm(title, "ana")).toEqual({ target: "title", type: "varchar(255)", drop: false, reason: "", author: "ana" });
  });

  it("sends a cast without a rename", () => {
    const edit = ruleEdit("sakila.film", title, { target: "title", type: "varchar(10)", drop: false, reason: "short", author: "ana" });
    expect(edit.changes).toEqual([
      { field: "drop", value: null },
      { field: "target", value: null },
      { field: "type", value: "varchar(10)" },
      { field: "reason", value: "short" },
      { field: "author", value: "ana" },
    ]);
  });

  it("drops the type with the column", () => {
    const edit = ruleEdit("sakila.film", title, { target: "title", type: "varchar(10)", drop: true, reason: "unused", author: "ana" });
    expect(edit.changes.slice(0, 3)).toEqual([
      { field: "type", value: null },
      { field: "target", value: null },
      { field: "drop", value: "true" },
    ]);
  });

  it("says a count with its examples and counts what blocks", () => {
    expect(countText(m001)).toBe("17 rows longer than 10 characters, e.g. film_id 12, film_id 88");
    expect(countText({ ...m001, data: null })).toBeNull();
    const accepted = { ...m001, accepted: { reason: "ok", author: "ben" } };
    expect(tableCounts({ findings: [], rows: [{ findings: [m001] }, { findings: [accepted] }] })).toEqual({ all: 2, blocking: 1 });
  });
});
