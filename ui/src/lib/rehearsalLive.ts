/** Live progress of a rehearsal, folded from its events (pure, unit-tested). */
import type { RehearsalEvent } from "../bindings";

export interface TableProgress {
  table: string;
  estimated: number | null;
  rows: number;
  rate: number;
  eta: number | null;
  done: boolean;
  verdict: string | null;
}

export interface Live {
  step: string | null;
  steps: { name: string; seconds: number | null }[];
  tables: Map<string, TableProgress>;
  /** (seconds since start, rows not yet copied). */
  backlog: [number, number][];
  /** (seconds since start, captured changes not yet applied), full rehearsals. */
  lag: [number, number][];
  /** The catch-up (or rollback) phase the last lag sample was taken in. */
  lagPhase: string | null;
  t0: number;
}

/** Nothing seen yet, started at `t0` (ms). */
export function startLive(t0: number): Live {
  return { step: null, steps: [], tables: new Map(), backlog: [], lag: [], lagPhase: null, t0 };
}

function backlogOf(tables: Map<string, TableProgress>): number {
  let left = 0;
  for (const t of tables.values()) left += Math.max(0, (t.estimated ?? t.rows) - t.rows);
  return left;
}

/** Applies one event to the live view. */
export function applyEvent(live: Live, ev: RehearsalEvent, now: number): Live {
  const tables = new Map(live.tables);
  let { step, steps, backlog, lag, lagPhase } = live;
  switch (ev.event) {
    case "step_started":
      step = ev.step;
      steps = [...steps, { name: ev.step, seconds: null }];
      break;
    case "step_finished":
      steps = steps.map((s) => (s.name === ev.step ? { ...s, seconds: ev.seconds } : s));
      break;
    case "table_started":
      tables.set(ev.table, { table: ev.table, estimated: ev.estimated_rows ?? null, rows: 0, rate: 0, eta: null, done: false, verdict: null });
      break;
    case "chunk": {
      const t = tables.get(ev.table);
      if (t) tables.set(ev.table, { ...t, rows: ev.rows ?? t.rows, rate: ev.rows_per_second ?? 0, eta: ev.eta_seconds ?? null });
      break;
    }
    case "table_finished": {
      const t = tables.get(ev.table);
      if (t) tables.set(ev.table, { ...t, rows: ev.rows ?? t.rows, done: true, eta: 0, estimated: ev.rows ?? t.rows });
      break;
    }
    case "validated": {
      const t = tables.get(ev.table);
      if (t) tables.set(ev.table, { ...t, verdict: ev.verdict });
      break;
    }
    case "lag":
      lag = [...lag, [(now - live.t0) / 1000, ev.pending ?? 0]];
      lagPhase = ev.phase;
      break;
  }
  if (ev.event === "chunk" || ev.event === "table_finished" || ev.event === "table_started") {
    backlog = [...backlog, [(now - live.t0) / 1000, backlogOf(tables)]];
  }
  return { ...live, step, steps, tables, backlog, lag, lagPhase };
}

