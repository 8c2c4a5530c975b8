import { describe, expect, it } from "vitest";
import { applyEvent, startLive, type Live } from "./rehearsalLive";

describe("rehearsal live view", () => {
  it("folds steps, table progress, verdicts and the backlog series", () => {
    let live: Live = startLive(0);
    live = applyEvent(live, { event: "step_started", step: "backfill" }, 0);
    live = applyEvent(live, { event: "table_started", table: "actor", estimated_rows: 200 }, 0);
    live = applyEvent(live, { event: "chunk", table: "actor", rows: 50, rows_per_second: 100, eta_seconds: 1.5 }, 500);
    expect(live.tables.get("actor")).toMatchObject({ rows: 50, rate: 100, eta: 1.5, done: false });
    live = applyEvent(live, { event: "table_finished", table: "actor", rows: 200, rejected: 0 }, 2000);
    live = applyEvent(live, { event: "step_finished", step: "backfill", seconds: 2 }, 2000);
    live = applyEvent(live, { event: "validated", table: "actor", verdict: "equal" }, 2500);
    expect(live.step).toBe("backfill");
    expect(live.steps).toEqual([{ name: "backfill", seconds: 2 }]);
    expect(live.tables.get("actor")).toMatchObject({ done: true, verdict: "equal" });
    expect(live.backlog).toEqual([
      [0, 200],
      [0.5, 150],
      [2, 0],
    ]);
  });

  it("charts the capture lag of a full rehearsal", () => {
    let live = startLive(1000);
    live = applyEvent(live, { event: "step_started", step: "catch-up" }, 1000);
    live = applyEvent(live, { event: "lag", phase: "catch-up", pending: 40, age_seconds: 1.2 }, 2000);
    live = applyEvent(live, { event: "lag", phase: "catch-up", pending: 0, age_seconds: 0 }, 3000);
    expect(live.lag).toEqual([
      [1, 40],
      [2, 0],
    ]);
    expect(live.lagPhase).toBe("catch-up");
    expect(live.backlog).toEqual([]);
  });
});
