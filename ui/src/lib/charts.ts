/** Geometry of the report charts and the risk heat map (pure, unit-tested). */

export interface GanttInput {
  /** What the chart shows ([`stepLabel`]). */
  name: string;
  /** The runbook step's id (`S017`); null for a set-up step or a rollback drill's undo. */
  stepId: string | null;
  /** Expected seconds from the plan's estimate (0 when the plan has none). */
  expected: number;
  /** Measured seconds, when run. */
  measured: number | null;
  /** Measured start, seconds from the run's start. */
  start: number;
}

/** One step on the two timelines: as measured, and as the plan expects, in the order run. */
export interface GanttRow {
  name: string;
  stepId: string | null;
  /** Measured start and duration, seconds. */
  start: number;
  measured: number | null;
  /** Planned start (the plan's estimates end to end, in the order the steps ran) and duration, seconds. */
  plannedStart: number;
  expected: number;
  /** Took longer than planned. */
  late: boolean;
}

/**
 * The steps on two timelines, each on its own scale so both read: an 11 s run beside a
 * 30-minute plan puts each bar on an axis of its own length. The plan's timeline lays the
 * estimates end to end in the order the steps ran.
 */
export function ganttRows(rows: readonly GanttInput[]): { rows: GanttRow[]; measuredSpan: number; plannedSpan: number } {
  let planned = 0;
  const out = rows.map((r) => {
    const row = { name: r.name, stepId: r.stepId, start: r.start, measured: r.measured, plannedStart: planned, expected: r.expected, late: r.measured !== null && r.expected > 0 && r.measured > r.expected };
    planned += r.expected;
    return row;
  });
  return {
    rows: out,
    measuredSpan: Math.max(1e-3, ...out.map((r) => r.start + (r.measured ?? 0))),
    plannedSpan: Math.max(1e-3, planned),
  };
}

/** The unit an axis of `span` seconds reads best in, and the factor from seconds. */
export function timeUnit(span: number): { unit: "s" | "min" | "h"; per: number } {
  if (span > 2 * 3600) return { unit: "h", per: 3600 };
  if (span > 180) return { unit: "min", per: 60 };
  return { unit: "s", per: 1 };
}

/** A step as the charts name it: a runbook step by its id first (`S017 Backfill …`), others by name. */
export function stepLabel(stepId: string | null | undefined, name: string): string {
  return stepId && !name.startsWith(`${stepId} `) ? `${stepId} ${name}` : name;
}

/**
 * Where the write freeze and the point of no return fall on each timeline, from the runbook's
 * ids of those steps. The freeze is its step's start.
 * A rehearsal stops before the point of no return and drills the rollback instead: then the
 * marker stands at the end of the last step run before it, saying so. Missing ones are left out.
 */
export function ganttMarkers(rows: readonly GanttRow[], steps: { freeze: string | null; ponr: string | null }): { key: "freeze" | "ponr"; label: string; measured: number; planned: number }[] {
  const markers: { key: "freeze" | "ponr"; label: string; measured: number; planned: number }[] = [];
  const freeze = steps.freeze ? rows.find((r) => r.stepId === steps.freeze) : undefined;
  if (freeze) markers.push({ key: "freeze", label: "write freeze", measured: freeze.start, planned: freeze.plannedStart });
  if (steps.ponr) {
    const ponr = rows.find((r) => r.stepId === steps.ponr);
    if (ponr) {
      markers.push({ key: "ponr", label: "point of no return", measured: ponr.start, planned: ponr.plannedStart });
    } else {
      const ponrId = steps.ponr;
      const before = rows.filter((r) => r.stepId !== null && r.stepId.length === ponrId.length && r.stepId < ponrId);
      // The latest step run before it, the first time it ran (a step can run again).
      const latest = before.reduce<string | null>((m, r) => (m === null || (r.stepId ?? "") > m ? r.stepId : m), null);
      const last = before.find((r) => r.stepId === latest);
      if (last)
        markers.push({
          key: "ponr",
          label: `point of no return (${ponrId}): not rehearsed`,
          measured: last.start + (last.measured ?? 0),
          planned: last.plannedStart + last.expected,
        });
    }
  }
  return markers;
}

/** Heat map rows, severity 5 first, each with likelihood 1–5 counts and a band per cell. */
export function heatRows(heat: readonly (readonly number[])[]): { severity: number; cells: { likelihood: number; count: number; band: "low" | "medium" | "high" | "critical" }[] }[] {
  const rows = [];
  for (let severity = 5; severity >= 1; severity -= 1) {
    const counts = heat[severity - 1] ?? [];
    rows.push({
      severity,
      cells: [1, 2, 3, 4, 5].map((likelihood) => ({
        likelihood,
        count: counts[likelihood - 1] ?? 0,
        band: scoreBand(severity * likelihood),
      })),
    });
  }
  return rows;
}

export function scoreBand(score: number): "low" | "medium" | "high" | "critical" {
  if (score >= 15) return "critical";
  if (score >= 10) return "high";
  if (score >= 5) return "medium";
  return "low";
}
