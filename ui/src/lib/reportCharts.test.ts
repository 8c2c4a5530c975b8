import { describe, expect, it } from "vitest";
import { ganttMarkers, ganttRows } from "./charts";
import { reportCharts } from "./reportCharts";

describe("reportCharts", () => {
  it("reads the engine's report into the app's chart inputs", () => {
    const c = reportCharts({
      steps: [
        { name: "Announce", step_id: "S001", start_seconds: 0, end_seconds: 0.5, expected_seconds: 60 },
        { name: "Freeze writes", step_id: "S020", start_seconds: 9, end_seconds: 9.2, expected_seconds: null },
        { name: "S020 undo", step_id: null, start_seconds: 12, end_seconds: 12.5, expected_seconds: null },
      ],
      runbook: [
        { step_id: "S001", phase: "prepare" },
        { step_id: "S020", phase: "freeze" },
      ],
      lag: [
        { at_seconds: 1, pending: 40 },
        { at_seconds: 2, pending: 0 },
      ],
      point_of_no_return: "S033 Switch the applications to the target",
    });
    expect(c.steps).toEqual([
      { name: "S001 Announce", stepId: "S001", expected: 60, measured: 0.5, start: 0 },
      { name: "S020 Freeze writes", stepId: "S020", expected: 0, measured: expect.closeTo(0.2, 9), start: 9 },
      { name: "S020 undo", stepId: null, expected: 0, measured: 0.5, start: 12 },
    ]);
    expect(c.freeze).toBe("S020");
    // The freeze marker stands at the freeze, not at the rollback drill's undo of it.
    expect(ganttMarkers(ganttRows(c.steps).rows, { freeze: c.freeze, ponr: null })).toEqual([{ key: "freeze", label: "write freeze", measured: 9, planned: 60 }]);
    expect(c.ponr).toBe("S033");
    expect(c.lag).toEqual([
      [1, 40],
      [2, 0],
    ]);
  });

  it("leaves out what an older or a trial report lacks", () => {
    const c = reportCharts({ steps: [] });
    expect(c).toEqual({ steps: [], freeze: null, ponr: null, lag: [] });
  });
});
