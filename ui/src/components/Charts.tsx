/**
 * The rehearsal charts, drawn with visx (Airbnb's React + d3-scale primitives): plain SVG the
 * app styles and tests like the rest of its DOM (axes, ticks and their units are elements an
 * end-to-end test reads), light (a few d3 modules, no canvas engine, no theme system), and
 * loaded with the Rehearsal screen only. ECharts would have brought ~1 MB for two charts; uPlot
 * draws on a canvas (axes a test cannot read) and has no Gantt.
 */
import { useMemo, type MouseEvent } from "react";
import { AxisBottom, AxisLeft } from "@visx/axis";
import { Group } from "@visx/group";
import { scaleBand, scaleLinear } from "@visx/scale";
import { Bar, Line, LinePath } from "@visx/shape";
import { TooltipWithBounds, useTooltip } from "@visx/tooltip";
import { localPoint } from "@visx/event";
import { ganttMarkers, ganttRows, timeUnit, type GanttInput, type GanttRow } from "../lib/charts";
import { formatCount, formatSeconds } from "../lib/format";

const WIDTH = 980;
/** Room for the steps' names, px: 44 characters of 11 px text whole (a longer name ends in "…"; its tooltip has it). */
const LABELS = 300;
const LABEL_CHARS = 44;
const PANEL_GAP = 36;
const ROW = 18;
const TOP = 22;
const BOTTOM = 44;

const axisLabel = { fontSize: 12, fill: "#334155", textAnchor: "middle" as const, fontFamily: "inherit" };
const tickLabel = () => ({ fontSize: 10, fill: "#475569", textAnchor: "middle" as const, fontFamily: "inherit" });

/**
 * Measured vs planned, as two timelines side by side that share the steps' rows: the run as
 * measured (its own seconds) and the plan's estimates end to end (its own minutes or hours), so
 * an 11 s rehearsal and a 30-minute plan both read. The write freeze and the point of no return
 * are marked on both; hovering a bar gives its figures.
 */
export function GanttChart({ steps, freezeStep, ponrStep, testId = "gantt" }: { steps: readonly GanttInput[]; freezeStep: string | null; ponrStep: string | null; testId?: string }) {
  const { rows, measuredSpan, plannedSpan } = useMemo(() => ganttRows(steps), [steps]);
  const markers = useMemo(() => ganttMarkers(rows, { freeze: freezeStep, ponr: ponrStep }), [rows, freezeStep, ponrStep]);
  const tip = useTooltip<GanttRow>();
  const height = TOP + rows.length * ROW + BOTTOM;
  const panel = (WIDTH - LABELS - PANEL_GAP) / 2;
  const y = scaleBand<string>({ domain: rows.map((_, i) => String(i)), range: [0, rows.length * ROW], padding: 0.25 });
  const mUnit = timeUnit(measuredSpan);
  const pUnit = timeUnit(plannedSpan);
  const xm = scaleLinear<number>({ domain: [0, measuredSpan / mUnit.per], range: [0, panel], nice: true });
  const xp = scaleLinear<number>({ domain: [0, plannedSpan / pUnit.per], range: [0, panel], nice: true });
  const show = (r: GanttRow) => (e: MouseEvent<SVGRectElement>) => {
    const p = localPoint(e);
    tip.showTooltip({ tooltipData: r, tooltipLeft: (p?.x ?? 0) + 12, tooltipTop: (p?.y ?? 0) + 12 });
  };
  const timeline = (which: "measured" | "planned", left: number) => {
    const x = which === "measured" ? xm : xp;
    const unit = which === "measured" ? mUnit : pUnit;
    return (
      <Group left={left} top={TOP} data-testid={`${testId}-${which}`}>
        <text x={panel / 2} y={-8} textAnchor="middle" fontSize={12} fontWeight={600} fill="#0f172a">
          {which === "measured" ? "As measured" : "As planned (estimates end to end)"}
        </text>
        {rows.map((r, i) => {
          const top = y(String(i)) ?? 0;
          const from = which === "measured" ? r.start : r.plannedStart;
          const length = which === "measured" ? (r.measured ?? 0) : r.expected;
          const w = Math.max(1.5, x(length / unit.per) - x(0));
          return (
            <g key={i}>
              <rect x={0} y={top - 2} width={panel} height={y.bandwidth() + 4} fill={i % 2 ? "#f8fafc" : "transparent"} />
              <Bar
                x={x(from / unit.per)}
                y={top}
                width={w}
                height={y.bandwidth()}
                rx={2}
                fill={which === "planned" ? "#93c5fd" : r.late ? "#dc2626" : "#1d4ed8"}
                onMouseMove={show(r)}
                onMouseLeave={tip.hideTooltip}
                data-testid={`${testId}-bar`}
              />
            </g>
          );
        })}
        {markers.map((m) => {
          const at = x((which === "measured" ? m.measured : m.planned) / unit.per);
          return (
            <g key={m.key} data-testid={`${testId}-marker-${m.key}`}>
              <Line from={{ x: at, y: -2 }} to={{ x: at, y: rows.length * ROW }} stroke={m.key === "ponr" ? "#dc2626" : "#7c3aed"} strokeWidth={1.5} strokeDasharray="4 3" />
              <text
                x={at > panel * 0.6 ? at - 3 : at + 3}
                textAnchor={at > panel * 0.6 ? "end" : "start"}
                y={m.key === "ponr" ? rows.length * ROW - 4 : 8}
                fontSize={10}
                fill={m.key === "ponr" ? "#b91c1c" : "#6d28d9"}
              >
                {m.label}
              </text>
            </g>
          );
        })}
        <AxisBottom
          top={rows.length * ROW}
          scale={x}
          numTicks={6}
          label={which === "measured" ? `time from the start (${unit.unit})` : `planned time from the start (${unit.unit})`}
          labelProps={axisLabel}
          tickLabelProps={tickLabel}
          axisClassName={`${testId}-axis`}
        />
      </Group>
    );
  };
  return (
    <div className="chart-box" data-testid={testId}>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label="Steps as measured and as planned">
        <Group top={TOP}>
          {rows.map((r, i) => (
            <text key={i} x={LABELS - 8} y={(y(String(i)) ?? 0) + y.bandwidth() / 2} dy="0.33em" textAnchor="end" fontSize={11} fill="#0f172a">
              <title>{r.name}</title>
              {r.name.length > LABEL_CHARS ? `${r.name.slice(0, LABEL_CHARS - 1)}…` : r.name}
            </text>
          ))}
        </Group>
        {timeline("measured", LABELS)}
        {timeline("planned", LABELS + panel + PANEL_GAP)}
      </svg>
      <div className="chart-legend muted small">
        <span className="swatch" style={{ background: "#1d4ed8" }} /> measured <span className="swatch" style={{ background: "#dc2626" }} /> longer than planned{" "}
        <span className="swatch" style={{ background: "#93c5fd" }} /> planned. Each timeline has its own scale.
      </div>
      {tip.tooltipOpen && tip.tooltipData && (
        <TooltipWithBounds left={tip.tooltipLeft} top={tip.tooltipTop} className="chart-tip">
          <div data-testid={`${testId}-tooltip`}>
            <strong>{tip.tooltipData.name}</strong>
            <div>
              measured {formatSeconds(tip.tooltipData.measured)} from {formatSeconds(tip.tooltipData.start)}
            </div>
            <div>planned {tip.tooltipData.expected > 0 ? formatSeconds(tip.tooltipData.expected) : "–"}</div>
          </div>
        </TooltipWithBounds>
      )}
    </div>
  );
}

/** A series over time with axes: seconds from the start across, `yLabel` (with its unit) up. */
export function TimeSeriesChart({ points, yLabel, color, testId, what }: { points: readonly [number, number][]; yLabel: string; color: string; testId: string; what: string }) {
  const tip = useTooltip<[number, number]>();
  const width = 720;
  const height = 200;
  const margin = { left: 64, right: 16, top: 10, bottom: 42 };
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const maxT = Math.max(1e-3, ...points.map(([t]) => t));
  const maxV = Math.max(1, ...points.map(([, v]) => v));
  const x = scaleLinear<number>({ domain: [0, maxT], range: [0, w], nice: true });
  const yScale = scaleLinear<number>({ domain: [0, maxV], range: [h, 0], nice: true });
  const onMove = (e: MouseEvent<SVGRectElement>) => {
    const p = localPoint(e);
    if (!p || points.length === 0) return;
    const t = x.invert(p.x - margin.left);
    let best = points[0] as [number, number];
    for (const q of points) if (Math.abs(q[0] - t) < Math.abs(best[0] - t)) best = q;
    tip.showTooltip({ tooltipData: best, tooltipLeft: margin.left + x(best[0]) + 10, tooltipTop: margin.top + yScale(best[1]) - 10 });
  };
  return (
    <div className="chart-box" data-testid={testId}>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: width }} role="img" aria-label={`${yLabel} over time`}>
        <Group left={margin.left} top={margin.top}>
          <LinePath data={points as [number, number][]} x={(d) => x(d[0])} y={(d) => yScale(d[1])} stroke={color} strokeWidth={2} />
          {points.length < 60 && points.map(([t, v], i) => <circle key={i} cx={x(t)} cy={yScale(v)} r={2.5} fill={color} />)}
          <AxisLeft scale={yScale} numTicks={5} label={yLabel} labelProps={{ ...axisLabel, dx: -12 }} tickLabelProps={() => ({ fontSize: 10, fill: "#475569", textAnchor: "end" as const, dx: -4, dy: "0.33em" })} axisClassName={`${testId}-axis`} tickFormat={(v) => formatCount(Number(v))} />
          <AxisBottom top={h} scale={x} numTicks={6} label="time from the start (s)" labelProps={axisLabel} tickLabelProps={tickLabel} axisClassName={`${testId}-axis`} />
          <rect width={w} height={h} fill="transparent" onMouseMove={onMove} onMouseLeave={tip.hideTooltip} />
        </Group>
      </svg>
      {tip.tooltipOpen && tip.tooltipData && (
        <TooltipWithBounds left={tip.tooltipLeft} top={tip.tooltipTop} className="chart-tip">
          {formatCount(tip.tooltipData[1])} {what} at {formatSeconds(tip.tooltipData[0])}
        </TooltipWithBounds>
      )}
    </div>
  );
}
