/** Geometry of the report charts and the risk heat map (pure, unit-tested). */

export interface GanttInput {
  name: string;
  /** Expected seconds from the plan's estimate. */
  expected: number;
  /** Measured seconds, when run. */
  measured: number | null;
  /** Measured start, seconds from the run's start. */
  start: number;
}

export interface GanttBar {
  name: string;
  /** Fractions of the chart width, 0–1. */
  expectedX: number;
  expectedW: number;
  measuredX: number;
  measuredW: number;
  /** Measured took longer than expected. */
  late: boolean;
}

/** Bars on a common time axis: expected bars start where the measured ones did. */
export function ganttBars(rows: readonly GanttInput[]): { bars: GanttBar[]; span: number } {
  const span = Math.max(1e-9, ...rows.map((r) => r.start + Math.max(r.expected, r.measured ?? 0)));
  return {
    span,
    bars: rows.map((r) => ({
      name: r.name,
      expectedX: r.start / span,
      expectedW: r.expected / span,
      measuredX: r.start / span,
      measuredW: (r.measured ?? 0) / span,
      late: r.measured !== null && r.expected > 0 && r.measured > r.expected,
    })),
  };
}

/** An SVG polyline's points for a series of (t, value), scaled into width × height. */
export function linePoints(series: readonly [number, number][], width: number, height: number): string {
  if (series.length === 0) return "";
  const maxT = Math.max(1e-9, ...series.map(([t]) => t));
  const maxV = Math.max(1e-9, ...series.map(([, v]) => v));
  return series
    .map(([t, v]) => `${((t / maxT) * width).toFixed(1)},${(height - (v / maxV) * height).toFixed(1)}`)
    .join(" ");
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
