import { describe, expect, it } from "vitest";
import { ganttMarkers, ganttRows, heatRows, scoreBand, timeUnit } from "./charts";

describe("charts", () => {
  it("lays measured and planned steps on timelines of their own, flagging late steps", () => {
    const { rows, measuredSpan, plannedSpan } = ganttRows([
      { name: "S001 Prepare", stepId: "S001", expected: 600, measured: 1, start: 0 },
      { name: "S002 Freeze writes", stepId: "S002", expected: 1200, measured: 3, start: 1 },
      { name: "S003 Cutover", stepId: "S003", expected: 0, measured: 7, start: 4 },
    ]);
    expect(measuredSpan).toBe(11);
    expect(plannedSpan).toBe(1800);
    expect(rows.map((r) => r.plannedStart)).toEqual([0, 600, 1800]);
    expect(rows.map((r) => r.late)).toEqual([false, false, false]);
    expect(ganttMarkers(rows, { freeze: "S002", ponr: "S003" })).toEqual([
      { key: "freeze", label: "write freeze", measured: 1, planned: 600 },
      { key: "ponr", label: "point of no return", measured: 4, planned: 1800 },
    ]);
    // A rehearsal stops before the point of no return: the marker ends the last step it ran.
    expect(ganttMarkers(rows, { freeze: null, ponr: "S004" })).toEqual([{ key: "ponr", label: "point of no return (S004): not rehearsed", measured: 11, planned: 1800 }]);
    expect(ganttMarkers(rows.slice(0, 1), { freeze: null, ponr: null })).toEqual([]);
    // A rollback drill's undo steps run after, without the ids of what they undo: the marker ends the forward run.
    const drilled = ganttRows([
      { name: "S001 Prepare", stepId: "S001", expected: 60, measured: 1, start: 0 },
      { name: "S002 Cutover", stepId: "S002", expected: 60, measured: 2, start: 1 },
      { name: "S002 undo", stepId: null, expected: 0, measured: 5, start: 3 },
      { name: "S001 undo", stepId: null, expected: 0, measured: 1, start: 8 },
    ]).rows;
    expect(ganttMarkers(drilled, { freeze: null, ponr: "S003" })[0]).toMatchObject({ measured: 3, planned: 120 });
  });

  it("reads an axis in seconds, minutes or hours as its length asks", () => {
    expect(timeUnit(11).unit).toBe("s");
    expect(timeUnit(1800)).toEqual({ unit: "min", per: 60 });
    expect(timeUnit(3 * 3600).unit).toBe("h");
  });

  it("orders the heat map severity 5 first with score bands", () => {
    const heat = [0, 1, 2, 3, 4].map((s) => [0, 1, 2, 3, 4].map((l) => (s === 4 && l === 4 ? 2 : 0)));
    const rows = heatRows(heat);
    expect(rows[0]?.severity).toBe(5);
    expect(rows[0]?.cells[4]).toEqual({ likelihood: 5, count: 2, band: "critical" });
    expect(rows[4]?.cells[0]?.band).toBe("low");
    expect(scoreBand(10)).toBe("high");
    expect(scoreBand(5)).toBe("medium");
  });
});
