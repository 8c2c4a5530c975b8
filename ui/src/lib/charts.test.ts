import { describe, expect, it } from "vitest";
import { ganttBars, heatRows, linePoints, scoreBand } from "./charts";

describe("charts", () => {
  it("puts measured and expected bars on one axis and flags late steps", () => {
    const { bars, span } = ganttBars([
      { name: "a", expected: 2, measured: 1, start: 0 },
      { name: "b", expected: 1, measured: 3, start: 1 },
    ]);
    expect(span).toBe(4);
    expect(bars[0]).toMatchObject({ expectedW: 0.5, measuredW: 0.25, late: false });
    expect(bars[1]).toMatchObject({ measuredX: 0.25, measuredW: 0.75, late: true });
  });

  it("scales a series into the box", () => {
    expect(linePoints([[0, 0], [10, 5]], 100, 50)).toBe("0.0,50.0 100.0,0.0");
    expect(linePoints([], 100, 50)).toBe("");
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
