import { describe, expect, it } from "vitest";
import type { JobCard_Serialize as JobCard, LifecycleBoard_Serialize as LifecycleBoard } from "../bindings";
import { ago, approvalAction, boardColumns, parseTickInterval, parseTickLimit, tickRange } from "./lifecycleBoard";

const card = (id: string, phase: string, attention: string[] = []): JobCard => ({
  id,
  phase,
  streak: 0,
  failures: [],
  attention,
  awaiting_approval: attention.some((a) => a.startsWith("L008 ")),
  last_transition: null,
  last_transition_at: 0,
  last_window_at: null,
  approved_by: null,
  approval_reason: null,
});

const board: LifecycleBoard = {
  interval_seconds: 60,
  phases: [
    { phase: "planned", jobs: 1 },
    { phase: "shadow", jobs: 2 },
    { phase: "held", jobs: 1 },
  ],
  jobs: [card("a", "planned"), card("b", "shadow", ["L007 regressing"]), card("c", "shadow"), card("d", "held", ["L006 held"])],
};

describe("boardColumns", () => {
  it("keeps every phase with its count, in order, and filters cards to those needing a look", () => {
    const cols = boardColumns(board, true);
    expect(cols.map((c) => [c.label, c.total, c.cards.map((x) => x.id)])).toEqual([
      ["Planned", 1, []],
      ["Shadow", 2, ["b"]],
      ["Held", 1, ["d"]],
    ]);
  });
  it("shows every card when asked", () => {
    expect(boardColumns(board, false)[1]?.cards.map((x) => x.id)).toEqual(["b", "c"]);
  });
});

describe("ago", () => {
  it("says seconds, minutes and hours", () => {
    expect(ago(100, 112)).toBe("12 s ago");
    expect(ago(0, 180)).toBe("3 min ago");
    expect(ago(0, 7200)).toBe("2 h ago");
  });
});

describe("approvalAction", () => {
  it("offers approval to a job awaiting cleanup approval, release to a held one, nothing otherwise", () => {
    expect(approvalAction(card("a", "reverse_shadow", ["L008 awaiting approval"]))).toBe("approve");
    expect(approvalAction({ ...card("a", "reverse_shadow", ["L008 awaiting approval"]), approved_by: "ana" })).toBeNull();
    expect(approvalAction(card("a", "reverse_shadow"))).toBeNull();
    expect(approvalAction(card("d", "held", ["L006 held"]))).toBe("release");
    expect(approvalAction(card("b", "shadow", ["L007 regressing"]))).toBeNull();
  });
});

describe("parseTickLimit", () => {
  it("takes a whole number from 1 or blank, and says what is wrong otherwise", () => {
    expect(parseTickLimit(" 5 ")).toEqual({ ticks: 5 });
    expect(parseTickLimit("")).toEqual({ ticks: null });
    expect(parseTickLimit("0")).toHaveProperty("error");
    expect(parseTickLimit("2.5")).toHaveProperty("error");
  });
});

describe("tickRange", () => {
  it("names the ticks a run made", () => {
    expect(tickRange(3, 7, 5)).toBe("ticks 3–7 (5 ticks)");
    expect(tickRange(4, 4, 1)).toBe("tick 4 (1 tick)");
    expect(tickRange(0, 0, 0)).toBe("no tick ran");
  });
});

describe("parseTickInterval", () => {
  it("takes seconds from 1 to a day or blank, and says what is wrong otherwise", () => {
    expect(parseTickInterval(" 5 ")).toEqual({ seconds: 5 });
    expect(parseTickInterval("2.5 s")).toEqual({ seconds: 2.5 });
    expect(parseTickInterval("")).toEqual({ seconds: null });
    for (const bad of ["0", "0.5", "-3", "soon", "86401", "1e3"]) expect(parseTickInterval(bad)).toHaveProperty("error");
  });
});
