import { describe, expect, it } from "vitest";
import { calibrationSummary, durationBadge, parseMinutes, stepEditRequest, stepForm } from "./runbookEdit";
import type { RunbookView_Serialize, StepView_Serialize } from "../bindings";

function step(extra: Partial<StepView_Serialize> = {}): StepView_Serialize {
  return {
    key: "backfill:Backfill sakila.rental (wave 6)",
    id: "S018",
    phase: "backfill",
    kind: "action",
    title: "Backfill sakila.rental (wave 6)",
    owner: "DBA",
    expected_minutes: 0.011,
    estimate_basis: "calibrated from rehearsal 1795316916-5cf700: 16044 rows at 24225 rows/s",
    depends_on: ["S003"],
    rollback: null,
    artifact: "table:sakila.rental",
    wave: 6,
    start_minutes: 5,
    critical: true,
    ponr: false,
    notes: null,
    edited: false,
    duration: "calibrated",
    ...extra,
  };
}

function view(steps: StepView_Serialize[], calibrated_from: string | null): RunbookView_Serialize {
  return {
    steps,
    ponr: null,
    total_minutes: 10,
    downtime_minutes: 1,
    rto_minutes: 30,
    maintenance_window_minutes: 60,
    shape: "cdc",
    calibrated_from,
    calibration_notes: [],
  };
}

describe("runbook step edit", () => {
  it("saves a note without freezing the measured duration as a typed one", () => {
    const s = step();
    const r = stepEditRequest(s, { ...stepForm(s), notes: "call the DVD store first" });
    expect(r).toEqual({ ok: true, edit: { key: s.key, owner: "DBA", expected_minutes: null, notes: "call the DVD store first" } });
  });

  it("keeps a duration a person typed before, and sends a changed one", () => {
    const typed = step({ duration: "edited", expected_minutes: 7, edited: true });
    const kept = stepEditRequest(typed, stepForm(typed));
    expect(kept.ok && kept.edit.expected_minutes).toBe(7);
    const changed = stepEditRequest(step(), { ...stepForm(step()), minutes: " 2.5 " });
    expect(changed.ok && changed.edit.expected_minutes).toBe(2.5);
  });

  it("takes the rounded figure the column shows as the duration unchanged", () => {
    const s = step({ expected_minutes: 0.0023333 });
    expect(stepForm(s).minutes).toBe("0.0023");
    const r = stepEditRequest(s, { ...stepForm(s), owner: "Ops" });
    expect(r.ok && r.edit.expected_minutes).toBeNull();
    const typed = step({ duration: "edited", expected_minutes: 1.23456, edited: true });
    const kept = stepEditRequest(typed, stepForm(typed));
    expect(kept.ok && kept.edit.expected_minutes).toBe(1.23456);
  });

  it("gives a step its estimate back when the duration is blanked", () => {
    const typed = step({ duration: "edited", expected_minutes: 7 });
    const r = stepEditRequest(typed, { ...stepForm(typed), minutes: "  " });
    expect(r.ok && r.edit.expected_minutes).toBeNull();
  });

  it("refuses a duration that is not a number of minutes, saying which", () => {
    for (const bad of ["abc", "-1", "Infinity"]) {
      const r = stepEditRequest(step(), { ...stepForm(step()), minutes: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.field).toBe("minutes");
        expect(r.message).toContain(bad);
      }
    }
    expect(parseMinutes("0")).toBe(0);
    expect(parseMinutes("")).toBeNull();
  });
});

describe("where a duration comes from", () => {
  it("marks measured and typed durations, not estimates", () => {
    expect(durationBadge(step(), "1795316916-5cf700")).toEqual({
      label: "measured",
      title: expect.stringContaining("Measured in rehearsal 1795316916-5cf700") as unknown as string,
    });
    expect(durationBadge(step({ duration: "edited" }), null)?.label).toBe("typed");
    expect(durationBadge(step({ duration: "estimate" }), null)).toBeNull();
  });

  it("says how many steps a calibration measured, or that all are estimates", () => {
    const steps = [step(), step({ id: "S019", duration: "calibrated" }), step({ id: "S020", duration: "estimate" })];
    expect(calibrationSummary(view(steps, "R1"))).toContain("Calibrated from rehearsal R1: the durations of 2 steps");
    expect(calibrationSummary(view([step()], "R1"))).toContain("of 1 step are");
    expect(calibrationSummary(view(steps, null))).toBe("Durations are the planner's estimates.");
  });
});
