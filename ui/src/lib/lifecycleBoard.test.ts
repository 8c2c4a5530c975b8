import { describe, expect, it } from "vitest";
import type { JobCard_Serialize as JobCard, LifecycleBoard_Serialize as LifecycleBoard } from "../bindings";
import { ago, boardColumns } from "./lifecycleBoard";

const card = (id: string, phase: string, attention: string[] = []): JobCard => ({
  id,
  phase,
  streak: 0,
  failures: [],
  attention,
  last_transition: null,
  last_transition_at: 0,
  last_window_at: null,
});

const board: LifecycleBoard = {
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
