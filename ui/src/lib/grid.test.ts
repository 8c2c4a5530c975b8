import { describe, expect, it } from "vitest";
import { distinct, emptyFilter, filterRows, NO_VALUE, sortRows } from "./grid";
import { smallGraph } from "./fixtures";

const rows = smallGraph().nodes;

describe("inventory grid", () => {
  it("filters by text, kind, owner, wave and minimum rows", () => {
    expect(filterRows(rows, { ...emptyFilter, text: "TABLE:B" }).map((r) => r.id)).toEqual(["table:b"]);
    expect(filterRows(rows, { ...emptyFilter, owner: "dba" }).map((r) => r.id)).toEqual(["table:a", "table:c"]);
    expect(filterRows(rows, { ...emptyFilter, owner: NO_VALUE })).toHaveLength(3);
    expect(filterRows(rows, { ...emptyFilter, wave: "2" }).map((r) => r.id)).toEqual(["table:b", "table:y"]);
    expect(filterRows(rows, { ...emptyFilter, minRows: "10" }).map((r) => r.id)).toEqual(["table:a", "table:b"]);
    expect(filterRows(rows, { ...emptyFilter, kind: "view" })).toHaveLength(0);
  });

  it("sorts numbers numerically, unknown values last either way", () => {
    expect(sortRows(rows, "rows", "asc").map((r) => r.rows)).toEqual([5, 10, 1000, null, null]);
    expect(sortRows(rows, "rows", "desc").map((r) => r.rows)).toEqual([1000, 10, 5, null, null]);
    expect(sortRows(rows, "wave", "asc").map((r) => r.id)).toEqual(["table:a", "table:x", "table:b", "table:y", "table:c"]);
  });

  it("lists distinct values with a name for missing ones", () => {
    expect(distinct(rows, "owner")).toEqual([NO_VALUE, "dba"]);
    expect(distinct(rows, "wave")).toEqual(["1", "2", "3"]);
  });
});
