// The soak's round driven from inside the page (MS_E2E_SOAK_DRIVER=page), so that a 15-minute
// session can be measured without WebDriver's commands: WebKit's automation session, which
// serves them, runs in the app's own process, and a session of WebDriver clicks cannot tell the
// app's growth from the automation's. The round is soakRound's in run.mjs, step for step, with
// the page's own DOM events: clicks, and a select's or a text box's value set the way React
// reads it (the native setter, then the event React listens to).
//
// installPageSoak runs in the page (browser.execute serialises it, so it uses nothing from this
// module's scope) and starts rounds that go on until stopped. Between rounds the runner may ask
// the loop to wait on the inventory (window.__pageSoak.pauseAfterRound), read the process tree's
// memory from /proc, and let it go on (window.__pageSoak.resume): two WebDriver commands a sample
// instead of some hundred a round.

/**
 * Starts the page's own soak loop. `rentalId` is Sakila rental's artifact id, `skipped` the names
 * of the round's parts left out (as MS_E2E_SOAK_SKIP). The loop's state is `window.__pageSoak`:
 * `rounds` done, `error` (the first failure, which stops the loop), `pauseAfterRound(done)`,
 * `resume()`, `stop`.
 */
export function installPageSoak(rentalId, skipped) {
  const skip = new Set(skipped);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const q = (selector) => document.querySelector(selector);
  const byTestId = (id) => q(`[data-testid="${id}"]`);
  const until = async (what, fn, timeout = 30000) => {
    const end = Date.now() + timeout;
    for (;;) {
      const value = fn();
      if (value) return value;
      if (Date.now() > end) throw new Error(`page soak, round ${state.rounds + 1}: ${what}`);
      await sleep(50);
    }
  };
  const click = async (selector) => (await until(selector, () => q(selector))).click();
  // A screen is shown, then given a moment to paint before the next action, as a person would.
  const show = async (screen, ready) => {
    await click(`[data-testid="nav-${screen}"]`);
    await until(ready, () => byTestId(ready), 60000);
    await sleep(200);
  };
  const setValue = (element, value) => {
    const proto = Object.getPrototypeOf(element);
    Object.getOwnPropertyDescriptor(proto, "value").set.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? "change" : "input", { bubbles: true }));
  };
  const text = (id) => byTestId(id)?.textContent ?? "";
  const laidOut = () => /showing \d+ nodes \(laid out/.test(text("graph-stats"));

  async function round(n) {
    await show("inventory", "inventory-grid");
    if (!skip.has("drilldown")) {
      await click(`[data-testid="inventory-row"][data-id="${rentalId}"] td:first-child`);
      await until("rental's details", () => byTestId("artifact-detail")?.getAttribute("data-id") === rentalId && byTestId("detail-fks-out"));
      await click('[data-testid="detail-close"]');
    }
    if (!skip.has("graph")) {
      await show("graph", "graph-canvas");
      await until("the graph is laid out", laidOut, 60000);
      const grouping = byTestId("group-by").value;
      for (const value of ["schema", grouping]) {
        setValue(byTestId("group-by"), value);
        await sleep(100);
        await until(`the graph laid out by ${value}`, laidOut, 30000);
      }
      await click(".react-flow__controls-fitview");
      await click('.react-flow__node[data-id$="film"]');
      await until("film's blast radius", () => /artifacts? depends? on it/.test(text("blast-panel")));
    }
    if (!skip.has("runbook")) {
      await show("runbook", "runbook-grid");
      const box = byTestId("runbook-grid-box");
      box.scrollTop = box.scrollHeight;
      await sleep(200);
      box.scrollTop = 0;
      await sleep(200);
      await click('[data-testid="edit-step"]');
      setValue(await until("the step editor", () => byTestId("edit-notes")), `soak round ${n}: typed, then cancelled`);
      await click('[data-testid="cancel-step"]');
      await until("the step editor closes", () => !byTestId("edit-notes"));
    }
    if (!skip.has("risks")) {
      await show("risks", "heat-map");
      await until("the risks are listed", () => q('[data-testid="risk-row"]'));
    }
    if (!skip.has("mapping")) {
      await show("mapping", "mapping-grid");
      for (const [table, column] of [["sakila.rental", "rental_id"], ["sakila.film", "title"]]) {
        setValue(byTestId("mapping-table"), table);
        await until(`${table}'s mapping`, () => q(`[data-testid="mapping-row"][data-column="${column}"]`));
      }
    }
    if (!skip.has("rehearsal")) {
      await show("rehearsal", "rehearsal-history");
      await click('[data-testid="history-row"] [data-testid="show-report"]');
      await until("the report's Gantt chart", () => byTestId("gantt-measured"));
      (await until("the trial's chart", () => byTestId("trial-progress-chart"))).scrollIntoView();
    }
    if (!skip.has("lifecycle")) {
      await show("lifecycle", "lifecycle-board");
      await sleep(1000);
    }
    await show("inventory", "inventory-grid");
    if (byTestId("artifact-detail")) throw new Error(`page soak, round ${n}: the inventory reopened with a drill-down shown`);
  }

  const state = {
    rounds: 0,
    error: null,
    stop: false,
    waiting: null,
    resumeLoop: null,
    pauseAfterRound(done) {
      if (state.error) done({ error: state.error });
      else state.waiting = done;
    },
    resume() {
      state.resumeLoop?.();
      state.resumeLoop = null;
    },
  };
  window.__pageSoak = state;
  void (async () => {
    while (!state.stop) {
      try {
        await round(state.rounds + 1);
      } catch (e) {
        state.error = String(e);
        state.waiting?.({ error: state.error });
        return;
      }
      state.rounds += 1;
      if (state.waiting) {
        const done = state.waiting;
        state.waiting = null;
        const resumed = new Promise((r) => (state.resumeLoop = r));
        done({ rounds: state.rounds });
        await resumed;
      }
    }
  })();
}
