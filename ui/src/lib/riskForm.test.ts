import { describe, expect, it } from "vitest";
import { checkDraft, draftOf, emptyDraft, fieldError, formOf, matchArtifacts, scoreOf, stillWrong, withArtifact } from "./riskForm";
import { CommandError } from "./errors";
import { node } from "./fixtures";
import type { RiskRow } from "../bindings";

const row: RiskRow = {
  id: "R-004",
  title: "Payments lost at cutover",
  category: "data loss",
  severity: 5,
  likelihood: 2,
  score: 10,
  mitigation: null,
  owner: "dba",
  status: "open",
  artifacts: ["table:payment"],
  retired_by: "S031",
  retired_by_step: "Validate payment",
  ordering: ["table:rental before table:payment"],
  flags: ["no-mitigation"],
  blast_radius: 0,
  unknown_artifacts: [],
  origin: null,
};

describe("risk form", () => {
  it("round-trips a row into the form the shell takes, blanks as null", () => {
    const d = draftOf(row);
    expect(d.ordering).toBe("table:rental before table:payment");
    expect(formOf({ ...d, title: "  Payments lost  ", owner: " ", ordering: "a before b\n\n  c before d " })).toEqual({
      id: "R-004",
      title: "Payments lost",
      category: "data loss",
      severity: 5,
      likelihood: 2,
      mitigation: null,
      owner: null,
      status: "open",
      artifacts: ["table:payment"],
      retired_by: "S031",
      ordering: ["a before b", "c before d"],
    });
    expect(scoreOf(d)).toBe(10);
  });

  it("checks what it can before sending", () => {
    expect(checkDraft({ ...emptyDraft(), title: "x" })).toEqual({});
    const errors = checkDraft({ ...emptyDraft(), title: " ", severity: 6, likelihood: 0, ordering: "a before b\nrental then payment" });
    expect(Object.keys(errors).sort()).toEqual(["likelihood", "ordering", "severity", "title"]);
    expect(errors.ordering).toContain("rental then payment");
  });

  it("reads the field a refused save names, and only from invalid_input", () => {
    const refused = new CommandError({ code: "invalid_input", message: "severity: 7 is not between 1 and 5", hint: null, field: "severity" });
    expect(fieldError(refused)).toEqual({ field: "severity", message: "severity: 7 is not between 1 and 5" });
    expect(fieldError(new CommandError({ code: "not_found", message: "no risk", hint: null, field: null }))).toBeNull();
    expect(fieldError(new Error("x"))).toBeNull();
  });

  it("offers artifacts not linked yet, by id or name", () => {
    const all = [node("table:rental", 3), node("table:payment", 4), node("service:carts", 1, { name: "Carts" })];
    expect(matchArtifacts(all, "", ["table:payment"]).map((a) => a.id)).toEqual(["table:rental", "service:carts"]);
    expect(matchArtifacts(all, "CART", []).map((a) => a.id)).toEqual(["service:carts"]);
    expect(matchArtifacts(all, "", [], 1)).toHaveLength(1);
    const d = withArtifact(withArtifact(emptyDraft(), "table:rental"), "table:a");
    expect(d.artifacts).toEqual(["table:a", "table:rental"]);
    expect(withArtifact(d, " table:a ")).toBe(d);
  });

  it("forgets the error of a field once it is edited", () => {
    const d = emptyDraft();
    const errors = { title: "Say what could happen.", severity: "1 to 5", ordering: "bad" };
    expect(stillWrong(errors, d, { ...d, title: "x" })).toEqual({ severity: "1 to 5", ordering: "bad" });
    expect(stillWrong(errors, d, d)).toEqual(errors);
  });
});
