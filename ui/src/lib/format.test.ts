import { describe, expect, it } from "vitest";
import { counted, formatMinutes } from "./format";

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
