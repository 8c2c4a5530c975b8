/**
 * The HTML rehearsal report's charts: the engine's report (the JSON `src/rehearsal/report.rs`
 * writes into the page) turned into the inputs of the app's own charts, so the report a team
 * shares draws the same Gantt and lag chart the Rehearsal screen does.
 */
import { stepLabel, type GanttInput } from "./charts";

/** The fields of the engine's `RehearsalReport` the charts read. */
export interface EngineReport {
  steps: { name: string; step_id?: string | null; start_seconds: number; end_seconds: number; expected_seconds?: number | null }[];
  runbook?: { step_id: string; phase: string }[];
  lag?: { at_seconds: number; pending: number }[];
  /** `S033 Switch the applications to the target`: the step's id, then its title. */
  point_of_no_return?: string | null;
}

/** What the report page draws. */
export interface ReportCharts {
  steps: GanttInput[];
  /** Runbook step id of the write freeze, if the runbook has one. */
  freeze: string | null;
  /** Runbook step id of the point of no return, if the plan has one. */
  ponr: string | null;
  /** Changes pending over seconds from the start. */
  lag: [number, number][];
}

export function reportCharts(r: EngineReport): ReportCharts {
  // Named as the app names them (`S026 Freeze writes …`); the markers find the freeze and the
  // point of no return by the id, which a rollback drill's `S026 undo` does not carry.
  const steps = r.steps.map((s) => ({
    name: stepLabel(s.step_id, s.name),
    stepId: s.step_id ?? null,
    expected: s.expected_seconds ?? 0,
    measured: Math.max(0, s.end_seconds - s.start_seconds),
    start: s.start_seconds,
  }));
  const freeze = r.runbook?.find((s) => s.phase === "freeze")?.step_id ?? null;
  const ponr = r.point_of_no_return ? (r.point_of_no_return.split(" ")[0] ?? null) : null;
  const lag = (r.lag ?? []).map((l) => [l.at_seconds, l.pending] as [number, number]);
  return { steps, freeze, ponr, lag };
}
