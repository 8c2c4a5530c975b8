import { describe, expect, it } from "vitest";
import { importStatus, parseSchemas, unusable } from "./liveImport";

describe("live import panel", () => {
  it("reads schemas separated by commas or spaces, once each", () => {
    expect(parseSchemas(" public, sales  public\nhr,")).toEqual(["public", "sales", "hr"]);
    expect(parseSchemas("   ")).toEqual([]);
  });

  it("says what the import does and did", () => {
    expect(importStatus({ event: "started", inputs: 1 })).toContain("Reading 1 input (");
    expect(
      importStatus({
        event: "finished",
        report: { tables: 2, views: 0, triggers: 0, foreign_keys: 1, services: 0, rows: 3, warnings: 0, notices: 0, changed: true },
      }),
    ).toBe("Imported 2 tables, 1 foreign keys, 3 rows estimated.");
    expect(
      importStatus({
        event: "finished",
        report: { tables: 2, views: 0, triggers: 0, foreign_keys: 1, services: 0, rows: 0, warnings: 0, notices: 0, changed: false },
      }),
    ).toBe("Imported 2 tables, 1 foreign keys (unchanged).");
  });

  it("names a connection whose password was forgotten", () => {
    const c = { name: "src", engine: "postgres", host: "h", port: 5432, user: "u", database: "d", has_password: true, password_available: false, display_url: "postgres://u:***@h:5432/d" } as const;
    expect(unusable(c)).toContain("enter it again");
    expect(unusable({ ...c, password_available: true })).toBeNull();
  });
});
