import { describe, expect, it } from "vitest";
import { columnValue } from "./columnValue";

describe("column value", () => {
  it("says a key is generated, in the engine's words", () => {
    expect(columnValue({ generated: "AUTO_INCREMENT", default: null, on_update: null })).toBe("generated (AUTO_INCREMENT)");
  });
  it("gives the default and MySQL's ON UPDATE", () => {
    expect(columnValue({ generated: null, default: "CURRENT_TIMESTAMP", on_update: "CURRENT_TIMESTAMP" })).toBe("default CURRENT_TIMESTAMP · on update CURRENT_TIMESTAMP");
  });
  it("is empty when nothing fills the column", () => {
    expect(columnValue({ generated: null, default: null, on_update: null })).toBe("");
  });
});
