import { describe, expect, it } from "vitest";
import { clockFigure, counted, formatMinutes, gateOutcome, keepUnitsWithFigures, megabytesFigure, minutesFigure } from "./format";

describe("formatMinutes", () => {
  it("keeps the tenths of a second a rehearsal measures, so a measured step never reads 0 s", () => {
    expect(formatMinutes(0.0048)).toBe("0.29 s");
    expect(formatMinutes(0.0014)).toBe("0.08 s");
    expect(formatMinutes(0.0001)).toBe("< 0.01 s");
    expect(formatMinutes(0.09)).toBe("5.4 s");
    expect(formatMinutes(0)).toBe("0 s");
    expect(formatMinutes(0.05)).toBe("3 s");
    expect(formatMinutes(0.5)).toBe("30 s");
  });

  it("reads minutes and hours as before", () => {
    expect(formatMinutes(1.32)).toBe("1.32 min");
    expect(formatMinutes(96.47)).toBe("96.5 min");
    expect(formatMinutes(150)).toBe("2.5 h");
    expect(formatMinutes(null)).toBe("?");
  });
});

describe("counted", () => {
  it("says 1 artifact and 2 artifacts, never 1 artifacts or artifact(s)", () => {
    expect(counted(1, "artifact")).toBe("1 artifact");
    expect(counted(0, "artifact")).toBe("0 artifacts");
    expect(counted(5017, "step")).toBe("5,017 steps");
    expect(counted(2, "artifact depends", "artifacts depend")).toBe("2 artifacts depend");
  });
});

describe("one unit per column", () => {
  it("writes minutes as figures in minutes, sub-minute ones with two significant digits", () => {
    expect(minutesFigure(0.05)).toBe("0.05");
    expect(minutesFigure(0.0023333)).toBe("0.0023");
    expect(minutesFigure(1.3249)).toBe("1.32");
    expect(minutesFigure(9.125)).toBe("9.13");
    expect(minutesFigure(96.47)).toBe("96.5");
    expect(minutesFigure(1500)).toBe("1,500");
    expect(minutesFigure(0)).toBe("0");
    expect(minutesFigure(null)).toBe("?");
  });

  it("writes start times as h:mm:ss and sizes in megabytes", () => {
    expect(clockFigure(0)).toBe("0:00:00");
    expect(clockFigure(61.5)).toBe("1:01:30");
    expect(clockFigure(0.05)).toBe("0:00:03");
    expect(megabytesFigure(1024 * 1024 * 1.5)).toBe("1.50");
    expect(megabytesFigure(2048)).toBe("< 0.01");
    expect(megabytesFigure(1024 * 1024 * 250)).toBe("250");
    expect(megabytesFigure(null)).toBe("?");
  });
});

describe("keepUnitsWithFigures", () => {
  it("joins each figure to its unit with a no-break space, and nothing else", () => {
    expect(keepUnitsWithFigures("measured 0.083 s, limit 792 s")).toBe("measured 0.083\u00a0s, limit 792\u00a0s");
    expect(keepUnitsWithFigures("measured 3, limit 0: over the limit (errors on the source 1)")).toBe("measured 3, limit 0: over the limit (errors on the source 1)");
    expect(keepUnitsWithFigures("measured < 0.001 s, limit 3000 s")).toBe("measured <\u00a00.001\u00a0s, limit 3000\u00a0s");
  });
});

describe("gateOutcome", () => {
  it("drops the code and label the gates table shows in its own column", () => {
    expect(gateOutcome("G001 mismatched rows", "G001 mismatched rows: measured 0.000, limit 0.000")).toBe("measured 0.000, limit 0.000");
    expect(gateOutcome("G004 time of step `backfill`", "G004 time of step `backfill`: measured 2.000s, limit 1.000s: over the limit")).toBe(
      "measured 2.000s, limit 1.000s: over the limit",
    );
  });
  it("drops the label of a gate from a report written before gates had codes", () => {
    expect(gateOutcome("mismatched rows", "mismatched rows: measured 0.000, limit 0.000")).toBe("measured 0.000, limit 0.000");
  });
  it("keeps a reason written another way whole", () => {
    expect(gateOutcome("mismatched rows", "no rows were compared")).toBe("no rows were compared");
  });
});
