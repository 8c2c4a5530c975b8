import { describe, expect, it } from "vitest";
import { RUNBOOK_EXPORTS } from "./runbookExports";

describe("runbook export menu", () => {
  it("offers the spreadsheet, the document and both orchestrators, each once", () => {
    expect(RUNBOOK_EXPORTS.map((e) => e.format)).toEqual(["csv", "markdown", "argo", "airflow"]);
    expect(new Set(RUNBOOK_EXPORTS.map((e) => e.testId)).size).toBe(RUNBOOK_EXPORTS.length);
    expect(RUNBOOK_EXPORTS.every((e) => e.label.endsWith("…"))).toBe(true);
  });
});
