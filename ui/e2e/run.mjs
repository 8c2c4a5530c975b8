// End-to-end test of the desktop app in a real window: Xvfb, tauri-driver + WebKitWebDriver,
// WebdriverIO. Opens the Sakila sample, checks the inventory, the graph and its blast radius,
// exports the runbook CSV and checks the file, edits a step, checks that an ungranted command
// is refused, runs a rehearsal from a MariaDB copy of Sakila into a scratch PostgreSQL
// database and waits for it to pass. Screenshots of every screen go to
// target/e2e-screenshots/; measurements (cold start, idle memory, 5k-node graph) to
// target/e2e-screenshots/desktop-bench.json.
//
// Usage: node ui/e2e/run.mjs [path/to/migration-studio-desktop]
// Needs: Xvfb, tauri-driver (cargo install tauri-driver --locked), WebKitWebDriver
// (webkit2gtk-driver), mariadb and psql clients, PostgreSQL on 127.0.0.1:5432 (user postgres,
// trust) and MariaDB on 127.0.0.1:3306 (root, no password).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, cpSync, readFileSync, writeFileSync, readdirSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

const repo = resolve(import.meta.dirname, "../..");
const app = resolve(process.argv[2] ?? process.env.MS_DESKTOP_BIN ?? join(repo, "target/debug/migration-studio-desktop"));
const shots = join(repo, "target/e2e-screenshots");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "ms-e2e-"));
const SOURCE_DB = "ms_e2e_sakila";
const TARGET_DB = "ms_e2e_target";

const children = [];
let browser = null;
const results = [];
const bench = {};

function log(msg) {
  process.stdout.write(`[e2e] ${msg}\n`);
}

function run(cmd, args, input) {
  return execFileSync(cmd, args, { input, stdio: ["pipe", "pipe", "inherit"], maxBuffer: 64 << 20 }).toString();
}

function startChild(cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
  children.push(child);
  return child;
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e?.message ?? e) });
    log(`FAIL ${name}: ${e?.stack ?? e}`);
    if (browser) await shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
    throw e;
  }
}

async function shot(name) {
  // The X screen as a person sees it (ImageMagick): WebKitWebDriver's own screenshot command
  // can hang under Xvfb. Give the page a moment to paint first.
  await sleep(400);
  execFileSync("import", ["-display", process.env.DISPLAY, "-window", "root", join(shots, `${name}.png`)]);
}

async function byTestId(id, timeout = 20000) {
  const el = await browser.$(`[data-testid="${id}"]`);
  await el.waitForExist({ timeout });
  return el;
}

async function textOf(id, timeout) {
  return (await byTestId(id, timeout)).getText();
}

async function setValue(id, value) {
  const el = await byTestId(id);
  await el.clearValue();
  if (value !== "") await el.setValue(value);
}

async function selectValue(id, value) {
  const el = await byTestId(id);
  await el.selectByAttribute("value", value);
}

/** RSS in KiB of a process and all its descendants (the app, WebKit's web and network processes). */
function treeRssKiB(rootPid) {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (!tree.has(pid) && tree.has(ppid)) (tree.add(pid), (grew = true));
  }
  let total = 0;
  const parts = {};
  for (const pid of tree) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const name = /Name:\s+(.+)/.exec(status)?.[1] ?? String(pid);
      total += rss;
      parts[name] = (parts[name] ?? 0) + rss;
    } catch {
      // exited meanwhile
    }
  }
  return { total, parts };
}

function appPid() {
  // The app is a child of the WebKitWebDriver that tauri-driver started; find it by its path.
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0")[0];
      if (cmd === app) return Number(d);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

function prepareDatabases() {
  log("loading Sakila into MariaDB database " + SOURCE_DB);
  run("mariadb", ["-h", "127.0.0.1", "-uroot", "-e", `DROP DATABASE IF EXISTS ${SOURCE_DB}; CREATE DATABASE ${SOURCE_DB};`]);
  const dir = join(repo, "sample-projects/sakila-mysql-to-postgres/data");
  const script = [readFileSync(join(dir, "sakila-mv-schema.sql"), "utf8"), readFileSync(join(dir, "sakila-mv-data.sql"), "utf8")]
    .join("\n")
    .split("\n")
    .filter((l) => !["DROP SCHEMA IF EXISTS sakila;", "CREATE SCHEMA sakila;", "USE sakila;"].includes(l.trim()))
    .map((l) => l.replaceAll("sakila.", `${SOURCE_DB}.`))
    .join("\n");
  run("mariadb", ["-h", "127.0.0.1", "-uroot", SOURCE_DB], script);
  run("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `DROP DATABASE IF EXISTS ${TARGET_DB}`]);
  run("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `CREATE DATABASE ${TARGET_DB}`]);
}

/** A project of `n` tables in chains of FKs with a few cross links (5k nodes for the benchmark). */
function makeBigProject(n) {
  const dir = join(work, "big-5k");
  mkdirSync(join(dir, "ddl"), { recursive: true });
  let ddl = "";
  for (let i = 0; i < n; i++) {
    const fks = [];
    if (i % 50 !== 0) fks.push(`, parent_id INT NOT NULL REFERENCES t${i - 1}(id)`);
    if (i > 200 && i % 7 === 0) fks.push(`, other_id INT REFERENCES t${i - 137}(id)`);
    ddl += `CREATE TABLE t${i} (id INT PRIMARY KEY${fks.join("")});\n`;
  }
  writeFileSync(join(dir, "ddl/schema.sql"), ddl);
  writeFileSync(
    join(dir, "migration-studio.toml"),
    `name = "big-5k"\nshape = "cdc"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = "postgres"\n\n[target]\nengine = "postgres"\n\n[[inputs]]\npath = "ddl/schema.sql"\n`,
  );
  return dir;
}

async function main() {
  if (!existsSync(app)) throw new Error(`${app} does not exist: build the app first (see README)`);
  prepareDatabases();
  const project = join(work, "sakila-mysql-to-postgres");
  cpSync(join(repo, "sample-projects/sakila-mysql-to-postgres"), project, {
    recursive: true,
    filter: (src) => !/migration-studio\.db/.test(src) && !src.includes(".migration-studio"),
  });
  const bigProject = makeBigProject(5000);

  const display = process.env.DISPLAY ?? ":99";
  if (!process.env.DISPLAY) {
    startChild("Xvfb", [display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"]);
    await sleep(1000);
  }
  const env = {
    DISPLAY: display,
    MIGRATION_STUDIO_CONFIG_DIR: join(work, "config"),
    MIGRATION_STUDIO_SECRETS: "memory",
    // Without compositing WebKitGTK paints straight into the X window, so screenshots of the
    // X screen show the current page.
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
  };
  Object.assign(process.env, env);
  startChild("tauri-driver", ["--port", "4444"], env);
  await waitForPort(4444, 20000);

  const t0 = Date.now();
  browser = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "warn",
    connectionRetryTimeout: 120000,
    capabilities: { "tauri:options": { application: app } },
  });
  try {
    await step("window opens on the Projects screen", async () => {
      await byTestId("nav-projects", 60000);
      bench.cold_start_to_interactive_ms = Date.now() - t0;
      await byTestId("no-recent");
      await shot("01-projects-empty");
    });

    await step("other screens say to open a project first", async () => {
      await (await byTestId("nav-inventory")).click();
      await byTestId("no-project");
      await (await byTestId("nav-projects")).click();
    });

    await step("open the Sakila sample and see its inventory", async () => {
      await setValue("project-path", project);
      await (await byTestId("open-project")).click();
      await byTestId("inventory-grid", 60000);
      const count = await textOf("inventory-count");
      const total = Number(/of (\d+) artifacts/.exec(count)?.[1]);
      if (!(total >= 16)) throw new Error(`inventory shows ${count}`);
      const rows = await browser.$$('[data-testid="inventory-row"]');
      if (rows.length !== total) throw new Error(`${rows.length} rows for ${count}`);
      const names = await browser.$$('[data-testid="inventory-row"] td:first-child').map((e) => e.getText());
      for (const t of ["rental", "payment", "film", "customer"]) if (!names.some((n) => n === t || n.endsWith(`.${t}`))) throw new Error(`no ${t} in ${names}`);
      await selectValue("filter-kind", "table");
      const tables = Number(/^(\d+) of/.exec(await textOf("inventory-count"))?.[1]);
      if (tables !== 16) throw new Error(`16 tables expected, filter shows ${tables}`);
      await shot("02-inventory");
    });

    await step("idle memory with Sakila open", async () => {
      await sleep(3000);
      const pid = appPid();
      if (pid) bench.idle_memory_sakila = treeRssKiB(pid);
    });

    await step("open the graph, select a table, see its blast radius and the PONR", async () => {
      await (await byTestId("nav-graph")).click();
      await byTestId("graph-canvas");
      await browser.waitUntil(async () => (await browser.$$(".react-flow__node")).length >= 16, { timeout: 30000 });
      await byTestId("ponr-banner");
      const film = await browser.$('.react-flow__node[data-id$="film"]');
      await film.click();
      const panel = await textOf("blast-panel");
      if (!/(\d+) artifacts depend on it/.test(panel) || /^0 artifacts/.test(panel)) throw new Error(`blast panel: ${panel}`);
      await shot("03-graph");
    });

    await step("risk register and mapping screens", async () => {
      await (await byTestId("nav-risks")).click();
      await browser.waitUntil(async () => (await browser.$('[data-testid="no-risks"]').isExisting()) || (await browser.$('[data-testid="heat-map"]').isExisting()), { timeout: 20000 });
      await shot("04-risks");
      await (await byTestId("nav-mapping")).click();
      await byTestId("mapping-placeholder");
      await shot("05-mapping");
    });

    await step("runbook: edit a step, export CSV and check the file", async () => {
      await (await byTestId("nav-runbook")).click();
      await byTestId("runbook-grid");
      await byTestId("ponr-banner");
      const edit = (await browser.$$('[data-testid="edit-step"]'))[0];
      await edit.click();
      await setValue("edit-owner", "Team Sakila");
      await setValue("edit-notes", "call the DVD store first");
      await (await byTestId("save-step")).click();
      await browser.waitUntil(async () => (await (await browser.$('[data-testid="runbook-step"]')).getText()).includes("Team Sakila"), { timeout: 10000 });
      const out = join(work, "sakila-runbook.csv");
      await browser.execute((p) => {
        window.__MIGRATION_STUDIO_E2E_SAVE_PATH__ = p;
      }, out);
      await (await byTestId("export-csv")).click();
      await byTestId("export-done");
      const csv = readFileSync(out, "utf8");
      const lines = csv.trim().split("\r\n");
      if (!lines[0].startsWith("step_id,phase,kind,title,owner,expected_minutes")) throw new Error(`header: ${lines[0]}`);
      const backfills = lines.filter((l) => l.includes(",backfill,")).length;
      if (backfills !== 16) throw new Error(`${backfills} backfill rows`);
      if (!csv.includes("Team Sakila")) throw new Error("edited owner missing from the CSV");
      if (lines.filter((l) => /,yes,(yes|no),[\d.]+,/.test(l) && l.split(",").length > 10).length < 1) log("note: PONR column not matched by the loose pattern");
      await shot("06-runbook");
    });

    await step("an ungranted command is refused", async () => {
      const outcome = await browser.executeAsync((done) => {
        window.__TAURI_INTERNALS__
          .invoke("plugin:app|version")
          .then(() => done("allowed"))
          .catch((e) => done(`refused: ${e}`));
      });
      if (!String(outcome).startsWith("refused")) throw new Error(`plugin:app|version was ${outcome}`);
      const ok = await browser.executeAsync((done) => {
        window.__TAURI_INTERNALS__
          .invoke("app_info")
          .then((r) => done(JSON.stringify(r)))
          .catch((e) => done(`refused: ${e}`));
      });
      if (!String(ok).includes("memory")) throw new Error(`app_info: ${ok}`);
    });

    await step("rehearsal on the local databases finishes and passes", async () => {
      await (await byTestId("nav-rehearsal")).click();
      await byTestId("no-connections");
      await (await byTestId("add-connection")).click();
      await setValue("conn-name", "sakila on mariadb");
      await selectValue("conn-engine", "mysql");
      await setValue("conn-database", SOURCE_DB);
      await (await byTestId("conn-save")).click();
      await browser.waitUntil(async () => (await (await byTestId("rehearsal-source")).getText()).includes("sakila on mariadb"), { timeout: 10000 });
      await setValue("conn-name", "scratch postgres");
      await selectValue("conn-engine", "postgres");
      await setValue("conn-database", TARGET_DB);
      await (await byTestId("conn-save")).click();
      await browser.waitUntil(async () => (await (await byTestId("rehearsal-target")).getText()).includes("scratch postgres"), { timeout: 10000 });
      await selectValue("rehearsal-source", "sakila on mariadb");
      await selectValue("rehearsal-target", "scratch postgres");
      await (await byTestId("mark-target")).click();
      await (await byTestId("start-rehearsal")).click();
      await byTestId("rehearsal-live", 30000);
      await shot("07-rehearsal-running");
      const outcome = await byTestId("rehearsal-outcome", 300000);
      const text = await outcome.getText();
      await (await byTestId("rehearsal-report")).scrollIntoView();
      await shot("08-rehearsal-report");
      if (text !== "passed") throw new Error(`rehearsal outcome: ${text}`);
      await byTestId("gantt");
      await byTestId("rehearsal-history", 20000);
    });

    await step("full rehearsal (scratch databases, capture, workload, cutover, rollback drill) finishes", async () => {
      await (await byTestId("nav-rehearsal")).click();
      await byTestId("full-rehearsal");
      const form = await browser.$('[data-testid="connection-form"]');
      if (!(await form.isExisting())) await (await byTestId("add-connection")).click();
      await setValue("conn-name", "mariadb server");
      await selectValue("conn-engine", "mysql");
      await setValue("conn-database", "");
      await (await byTestId("conn-save")).click();
      await browser.waitUntil(async () => (await (await byTestId("full-source")).getText()).includes("mariadb server"), { timeout: 10000 });
      await setValue("conn-name", "postgres server");
      await selectValue("conn-engine", "postgres");
      await setValue("conn-database", "");
      await (await byTestId("conn-save")).click();
      await browser.waitUntil(async () => (await (await byTestId("full-target")).getText()).includes("postgres server"), { timeout: 10000 });
      await selectValue("full-source", "mariadb server");
      await selectValue("full-target", "postgres server");
      await (await byTestId("start-full")).click();
      await byTestId("full-running", 30000);
      await shot("09-full-rehearsal-running");
      const t = Date.now();
      await browser.waitUntil(async () => !(await browser.$('[data-testid="full-running"]').isExisting()), { timeout: 420000, interval: 1000 });
      bench.full_rehearsal_sakila_seconds = (Date.now() - t) / 1000;
      const report = await byTestId("rehearsal-report", 10000);
      await report.scrollIntoView();
      const outcome = await textOf("rehearsal-outcome");
      bench.full_rehearsal_outcome = outcome;
      await byTestId("gates");
      await shot("10-full-rehearsal-report");
      if (outcome !== "passed") log(`note: the full rehearsal finished with outcome ${outcome}: ${await report.getText()}`);
    });

    await step("graph of a 5,000-table project", async () => {
      await (await byTestId("nav-projects")).click();
      await setValue("project-path", bigProject);
      const t = Date.now();
      await (await byTestId("open-project")).click();
      await byTestId("inventory-grid", 120000);
      bench.open_5k_project_ms = Date.now() - t;
      const g = Date.now();
      await (await byTestId("nav-graph")).click();
      await browser.waitUntil(async () => (await browser.$$(".react-flow__node")).length > 0, { timeout: 120000 });
      bench.graph_5k_grouped_ms = Date.now() - g;
      bench.graph_5k_grouped_stats = await textOf("graph-stats");
      await shot("11-graph-5k-grouped");
      const u = Date.now();
      await selectValue("group-by", "none");
      await browser.waitUntil(async () => /showing 5000 nodes \(laid out/.test(await textOf("graph-stats")), { timeout: 120000 });
      await browser.waitUntil(async () => (await browser.$$(".react-flow__node")).length > 0, { timeout: 120000 });
      bench.graph_5k_ungrouped_ms = Date.now() - u;
      bench.graph_5k_ungrouped_stats = await textOf("graph-stats");
      // Panning: count animation frames while dragging the pane for two seconds.
      await browser.execute(() => {
        const w = window;
        w.__frames = [];
        const tick = (t) => {
          w.__frames.push(t);
          if (w.__frames.length < 2000) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      const pane = await browser.$(".react-flow__pane");
      const start = Date.now();
      await browser.performActions([
        {
          type: "pointer",
          id: "mouse",
          parameters: { pointerType: "mouse" },
          actions: [
            { type: "pointerMove", origin: pane, x: 0, y: 0 },
            { type: "pointerDown", button: 0 },
            { type: "pointerMove", duration: 1000, origin: "pointer", x: -300, y: -200 },
            { type: "pointerMove", duration: 1000, origin: "pointer", x: 300, y: 200 },
            { type: "pointerUp", button: 0 },
          ],
        },
      ]);
      const elapsed = Date.now() - start;
      const frames = await browser.execute(() => {
        const f = window.__frames;
        const gaps = f.slice(1).map((t, i) => t - f[i]);
        gaps.sort((a, b) => a - b);
        return { count: f.length, p50: gaps[Math.floor(gaps.length / 2)], p95: gaps[Math.floor(gaps.length * 0.95)], max: gaps[gaps.length - 1] };
      });
      bench.graph_5k_pan = { drag_ms: elapsed, ...frames };
      await shot("12-graph-5k-all");
    });
  } finally {
    writeFileSync(join(shots, "desktop-bench.json"), JSON.stringify({ app, ...bench }, null, 2));
    if (browser) await browser.deleteSession().catch(() => {});
  }
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  log(`stopped: ${e?.message ?? e}`);
} finally {
  for (const c of children.reverse()) c.kill("SIGTERM");
  await sleep(300);
  try {
    run("mariadb", ["-h", "127.0.0.1", "-uroot", "-e", `DROP DATABASE IF EXISTS ${SOURCE_DB}`]);
    run("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `DROP DATABASE IF EXISTS ${TARGET_DB}`]);
  } catch {
    // best effort
  }
}
const passed = results.filter((r) => r.ok).length;
log(`benchmarks: ${JSON.stringify(bench)}`);
process.stdout.write(`e2e: ${passed} passed, ${results.length - passed} failed\n`);
process.exit(failed || passed !== results.length ? 1 : 0);
