/**
 * The HTML report's committed chart script (`src/rehearsal/assets/report_charts.js`), run as a
 * report page runs it: given the page's data, it draws the Gantt on its two time axes with the
 * markers, and the lag chart with its units.
 */
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";

const bundle = readFileSync(new URL("../../../src/rehearsal/assets/report_charts.js", import.meta.url), "utf8");

/** The page as `src/rehearsal/report.rs` writes it, with `report` as its data. */
function page(report: unknown): JSDOM {
  const data = JSON.stringify(report).replace(/</g, "\\u003c");
  const dom = new JSDOM(
    `<!doctype html><body><div id="gantt"></div><div id="lag"></div><script type="application/json" id="report-data">${data}</script></body>`,
    { runScripts: "dangerously", pretendToBeVisual: true },
  );
  const script = dom.window.document.createElement("script");
  script.textContent = bundle;
  dom.window.document.body.appendChild(script);
  return dom;
}

async function drawn(dom: JSDOM, id: string): Promise<Element> {
  for (let i = 0; i < 100; i++) {
    const svg = dom.window.document.querySelector(`#${id} svg`);
    if (svg) return svg;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`#${id} drew no chart`);
}

const report = {
  steps: [
    { name: "S001 Announce the cutover", step_id: "S001", start_seconds: 0, end_seconds: 0.4, expected_seconds: 300 },
    { name: "S010 Copy wave 1 <actor>", step_id: "S010", start_seconds: 0.4, end_seconds: 6.1, expected_seconds: 540 },
    { name: "S020 Freeze writes", step_id: "S020", start_seconds: 6.1, end_seconds: 6.2, expected_seconds: 60 },
  ],
  runbook: [
    { step_id: "S001", phase: "prepare" },
    { step_id: "S010", phase: "backfill" },
    { step_id: "S020", phase: "freeze" },
  ],
  lag: [
    { at_seconds: 1, pending: 120 },
    { at_seconds: 3, pending: 15 },
    { at_seconds: 5, pending: 0 },
  ],
  point_of_no_return: "S033 Switch the applications to the target",
};

describe("the HTML report's chart script", () => {
  it("draws the steps on a measured and a planned time axis, with the freeze and the point of no return", async () => {
    const dom = page(report);
    const gantt = await drawn(dom, "gantt");
    const text = gantt.textContent ?? "";
    expect(text).toContain("As measured");
    expect(text).toContain("time from the start (s)");
    expect(text).toContain("planned time from the start (min)");
    expect(text).toContain("S010 Copy wave 1 <actor>");
    expect(text).toContain("write freeze");
    expect(text).toContain("point of no return (S033): not rehearsed");
    dom.window.close();
  });

  it("draws the capture lag with its axes and units", async () => {
    const dom = page(report);
    const lag = await drawn(dom, "lag");
    expect(lag.textContent).toContain("changes pending");
    expect(lag.textContent).toContain("time from the start (s)");
    expect(lag.querySelector("path")).not.toBeNull();
    dom.window.close();
  });

  it("draws nothing from a report with no steps and no lag", async () => {
    const dom = page({ steps: [], lag: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(dom.window.document.querySelector("svg")).toBeNull();
    dom.window.close();
  });
});
