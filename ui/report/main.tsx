/**
 * The charts of the HTML rehearsal report (`src/rehearsal/report.rs`): the app's own Gantt and
 * lag charts (visx), drawn from the report's data the page carries as JSON. Built into one
 * script (`npm run build:report`) that the engine embeds in every report page, so the page
 * stays one file with no network access.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { GanttChart, TimeSeriesChart } from "../src/components/Charts";
import { reportCharts, type EngineReport } from "../src/lib/reportCharts";

function mount(id: string, element: React.ReactNode) {
  const at = document.getElementById(id);
  if (at) createRoot(at).render(<StrictMode>{element}</StrictMode>);
}

const data = document.getElementById("report-data")?.textContent;
if (data) {
  const charts = reportCharts(JSON.parse(data) as EngineReport);
  if (charts.steps.length > 0) {
    mount("gantt", <GanttChart steps={charts.steps} freezeStep={charts.freeze} ponrStep={charts.ponr} />);
  }
  if (charts.lag.length > 1) {
    mount("lag", <TimeSeriesChart points={charts.lag} yLabel="changes pending" what="changes pending" color="#dc2626" testId="capture-lag-chart" />);
  }
}
