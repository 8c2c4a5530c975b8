import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type ConnectionInfo,
  type FullRehearsalEvent,
  type FullRehearsalRequest_Deserialize,
  type ProjectView,
  type ProviderPick,
  type ProviderView,
  type RehearsalEvent,
  type RehearsalReport,
  type RunbookView_Serialize,
} from "../bindings";
import { describeProvider } from "../lib/provider";
import { CommandError, unwrap } from "../lib/errors";
import { newTaskId, useLoad } from "../lib/useLoad";
import { formatCount, formatSeconds, gateOutcome, keepUnitsWithFigures } from "../lib/format";
import { stepLabel } from "../lib/charts";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";

// The charts (visx and its d3 modules) load with the first report or live run shown, not with the app.
const GanttChart = lazy(() => import("../components/Charts").then((m) => ({ default: m.GanttChart })));
const TimeSeriesChart = lazy(() => import("../components/Charts").then((m) => ({ default: m.TimeSeriesChart })));
import { ConnectionForm } from "./Connections";
import { applyEvent, startLive, type Live } from "../lib/rehearsalLive";
import { calibrationSummary } from "../lib/runbookEdit";
import { ConnectionSelect } from "../components/ConnectionSelect";
import { describeServer, describeTestFailure } from "../lib/connectionTest";

export function RehearsalScreen({ project, onOpenRunbook }: { project: ProjectView; onOpenRunbook: () => void }) {
  const conns = useLoad(async () => unwrap(await commands.connections()));
  const history = useLoad(async () => unwrap(await commands.rehearsalHistory(project.handle)));
  const [source, setSource] = useState("");
  const [target, setTarget] = useState("");
  const [markTarget, setMarkTarget] = useState(false);
  const [task, setTask] = useState<string | null>(null);
  const [live, setLive] = useState<Live | null>(null);
  const [report, setReport] = useState<RehearsalReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The connection form: closed, open for a new connection, or open on a saved one to edit it.
  const [form, setForm] = useState<{ initial?: ConnectionInfo } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // Each connection's last test: `{}` while it runs.
  const [tests, setTests] = useState<Record<string, { ok?: boolean; text?: string }>>({});
  // When the running rehearsal started (this window's clock), for its elapsed time.
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (startedAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [startedAt]);
  const liveRef = useRef<Live | null>(null);
  const [sourceServer, setSourceServer] = useState("");
  const [targetServer, setTargetServer] = useState("");
  const [rate, setRate] = useState("20");
  const [fullTask, setFullTask] = useState<string | null>(null);
  const [provider, setProvider] = useState<ProviderPick>("auto");
  const [sourceImage, setSourceImage] = useState("");
  const [targetImage, setTargetImage] = useState("");
  const [choice, setChoice] = useState<{ view: ProviderView | null; error: unknown }>({ view: null, error: null });

  const fullRequest = (): FullRehearsalRequest_Deserialize => ({
    provider,
    source_server: sourceServer === "" ? null : sourceServer,
    target_server: targetServer === "" ? null : targetServer,
    source_image: sourceImage.trim() === "" ? null : sourceImage.trim(),
    target_image: targetImage.trim() === "" ? null : targetImage.trim(),
    workload_rate: Number(rate),
  });

  // Where the rehearsal would run, asked again when the choice changes (auto probes Docker).
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      commands.rehearsalProvider(project.handle, fullRequest()).then(
        (r) => {
          if (!live) return;
          if (r.status === "ok") setChoice({ view: r.data, error: null });
          else setChoice({ view: null, error: new CommandError(r.error) });
        },
        (e: unknown) => live && setChoice({ view: null, error: e }),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // The request is rebuilt from these on each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.handle, provider, sourceImage, targetImage, sourceServer, targetServer]);

  async function startFull() {
    setError(null);
    setReport(null);
    const id = newTaskId("full-rehearsal");
    setFullTask(id);
    setStartedAt(Date.now());
    setNow(Date.now());
    const initial = startLive(Date.now());
    liveRef.current = initial;
    setLive(initial);
    const channel = new Channel<FullRehearsalEvent>();
    channel.onmessage = (ev) => {
      if (ev.event === "provider") setChoice({ view: ev.choice, error: null });
      else if (ev.event === "running") setNow(Date.now());
      else if (liveRef.current) {
        liveRef.current = applyEvent(liveRef.current, ev.progress, Date.now());
        setLive(liveRef.current);
      }
    };
    try {
      setReport(unwrap(await commands.rehearse(project.handle, id, fullRequest(), channel)));
      history.reload();
    } catch (e) {
      setError(e);
    } finally {
      setFullTask(null);
      setStartedAt(null);
    }
  }
  const needsServers = choice.view?.needs_servers ?? provider !== "docker";
  const shown = choice.view ? describeProvider(choice.view) : null;

  const list: ConnectionInfo[] = conns.data ?? [];

  /** Connects read-only (the engine's short timeout) and puts the answer beside the connection. */
  async function testConnection(name: string) {
    setTests((t) => ({ ...t, [name]: {} }));
    const r = await commands.testConnection(name);
    const result = r.status === "ok" ? { ok: true, text: describeServer(r.data) } : { ok: false, text: describeTestFailure(r.error) };
    setTests((t) => ({ ...t, [name]: result }));
  }

  async function start() {
    setError(null);
    setReport(null);
    const id = newTaskId("rehearsal");
    setTask(id);
    setStartedAt(Date.now());
    setNow(Date.now());
    const initial = startLive(Date.now());
    liveRef.current = initial;
    setLive(initial);
    const channel = new Channel<RehearsalEvent>();
    channel.onmessage = (ev) => {
      if (!liveRef.current) return;
      liveRef.current = applyEvent(liveRef.current, ev, Date.now());
      setLive(liveRef.current);
    };
    try {
      setReport(unwrap(await commands.startRehearsal(project.handle, id, { source, target, mark_target: markTarget }, channel)));
      history.reload();
    } catch (e) {
      setError(e);
    } finally {
      setTask(null);
      setStartedAt(null);
    }
  }

  return (
    <div className="screen">
      <h1>Rehearsal</h1>
      <p className="muted">
        Two kinds: a full rehearsal of the cutover on scratch databases, and a trial copy from a database that already holds the data into a scratch
        target (wave order, keyset chunks, checkpoints, indexes and foreign keys, validation), each step timed against the plan.
      </p>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <section className="card" data-testid="connections">
        <div className="row spread">
          <h2>Connections</h2>
          <button type="button" className="link" onClick={() => setForm(form ? null : {})} data-testid="add-connection">
            {form ? "Hide the connection form" : "Add a connection…"}
          </button>
        </div>
        <p className="muted small">
          Both kinds of rehearsal use them: the full rehearsal the servers it makes scratch databases on, the trial copy a source holding the data and a
          scratch target.
        </p>
        {list.length === 0 && !form && (
          <EmptyState title="No connections yet" testId="no-connections">
            Add a source (a database holding the data to copy, opened read-only) and a scratch target, or the two servers a full rehearsal makes its
            scratch databases on.
          </EmptyState>
        )}
        {list.length > 0 && (
          <table className="grid" data-testid="connection-list">
            <tbody>
              {list.map((c) => (
                <tr key={c.name} data-testid="connection-row" data-name={c.name}>
                  <td>
                    <strong>{c.name}</strong>
                  </td>
                  <td className="muted">{c.display_url}</td>
                  <td>{c.password_available ? <span className="muted small">{c.has_password ? "password stored" : "no password"}</span> : <span className="badge warn">password needed</span>}</td>
                  <td className="small" data-testid="connection-test-result" data-ok={tests[c.name]?.ok === undefined ? undefined : String(tests[c.name]?.ok)}>
                    {tests[c.name] === undefined ? null : tests[c.name]?.ok === undefined ? (
                      <span className="muted">Testing…</span>
                    ) : (
                      <span className={tests[c.name]?.ok ? "ok-text" : "error-text"}>{tests[c.name]?.text}</span>
                    )}
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="link"
                      disabled={tests[c.name] !== undefined && tests[c.name]?.ok === undefined}
                      onClick={() => void testConnection(c.name)}
                      data-testid="test-connection"
                    >
                      Test
                    </button>{" "}
                    <button type="button" className="link" onClick={() => setForm({ initial: c })} data-testid="edit-connection">
                      Edit
                    </button>{" "}
                    <button
                      type="button"
                      className="link danger"
                      onClick={() =>
                        void commands.deleteConnection(c.name).then((r) => {
                          if (r.status === "error") setError(new CommandError(r.error));
                          else setSaved(`Deleted “${c.name}”.`);
                          conns.reload();
                        })
                      }
                      data-testid="delete-connection"
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {saved && (
          <div className="ok" role="status" data-testid="connection-saved">
            {saved}
          </div>
        )}
        {form && (
          <ConnectionForm
            key={form.initial?.name ?? "new"}
            initial={form.initial}
            onSaved={(c) => {
              setSaved(`Saved “${c.name}” (${c.display_url}). It is in the lists below.`);
              conns.reload();
            }}
          />
        )}
      </section>
      <section className="card" data-testid="full-rehearsal">
        <h2>Full rehearsal</h2>
        <p className="muted">
          Creates scratch databases (throwaway Docker containers, or scratch databases on two servers), loads the source from the project&apos;s scripts, captures changes while a workload writes, backfills,
          catches up, freezes, validates, checks the go/no-go gates, cuts over and drills the rollback against the RTO. Scratch databases are dropped at
          the end.
        </p>
        <div className="form-grid">
          <label>
            Where the scratch databases live
            <select
              value={provider}
              onChange={(e) => setProvider(e.target.value as ProviderPick)}
              title="Auto uses Docker when a daemon answers and the local servers otherwise; on the local servers the scratch databases are made beside the others and dropped at the end"
              data-testid="full-provider"
            >
              <option value="auto">Auto (Docker, else local servers)</option>
              <option value="local">Local servers</option>
              <option value="docker">Docker containers</option>
            </select>
          </label>
          {provider !== "local" && (
            <>
              <label>
                Source image (optional)
                <input value={sourceImage} onChange={(e) => setSourceImage(e.target.value)} placeholder="default: the manifest's version" data-testid="full-source-image" />
              </label>
              <label>
                Target image (optional)
                <input value={targetImage} onChange={(e) => setTargetImage(e.target.value)} placeholder="e.g. localhost/pg-local:15" data-testid="full-target-image" />
              </label>
            </>
          )}
        </div>
        <div className="provider" data-testid="provider-choice">
          {shown && (
            <div className={shown.fellBack ? "notice" : "muted"}>
              <strong data-testid="provider-chosen">{shown.title}</strong>: <span data-testid="provider-reason">{shown.detail}</span>
            </div>
          )}
          {choice.error !== null && <ErrorBanner error={choice.error} />}
          {!shown && choice.error === null && <span className="muted">Checking where the rehearsal can run…</span>}
        </div>
        <div className="form-grid">
          <label>
            Source server{needsServers ? "" : " (not used by Docker)"}
            <ConnectionSelect value={sourceServer} onChange={setSourceServer} connections={list} testId="full-source" />
          </label>
          <label>
            Target server{needsServers ? "" : " (not used by Docker)"}
            <ConnectionSelect value={targetServer} onChange={setTargetServer} connections={list} testId="full-target" />
          </label>
          <label>
            Workload writes/s
            <input className="narrow" value={rate} onChange={(e) => setRate(e.target.value)} />
          </label>
        </div>
        <div className="row">
          <button type="button" disabled={fullTask !== null || task !== null || choice.error !== null || (needsServers && (sourceServer === "" || targetServer === ""))}
            onClick={() => void startFull()} data-testid="start-full">
            Start full rehearsal
          </button>
          {fullTask && (
            <>
              <button type="button" onClick={() => void commands.cancelTask(fullTask)} data-testid="cancel-full">
                Cancel
              </button>
              <span className="muted" data-testid="full-running">
                Running for {runningFor(startedAt, now)}…
              </span>
            </>
          )}
        </div>
      </section>
      <section className="card">
        <h2>Trial copy from an existing database</h2>
        <div className="form-grid">
          <label>
            Source
            <ConnectionSelect value={source} onChange={setSource} connections={list} testId="rehearsal-source" markPasswordNeeded />
          </label>
          <label>
            Target (scratch)
            <ConnectionSelect value={target} onChange={setTarget} connections={list} testId="rehearsal-target" />
          </label>
          <label className="check">
            <input type="checkbox" checked={markTarget} onChange={(e) => setMarkTarget(e.target.checked)} data-testid="mark-target" />
            Mark the target as a rehearsal target (only a scratch database: it will be written)
          </label>
        </div>
        <div className="row">
          <button type="button" disabled={task !== null || fullTask !== null || source === "" || target === ""} onClick={() => void start()} data-testid="start-rehearsal">
            Start trial copy
          </button>
          {task && (
            <>
              <button type="button" onClick={() => void commands.cancelTask(task)} data-testid="cancel-rehearsal">
                Cancel
              </button>
              <span className="muted" data-testid="trial-running">
                Running for {runningFor(startedAt, now)}…
              </span>
            </>
          )}
        </div>
      </section>
      {live && <LiveView live={live} running={task !== null || fullTask !== null} />}
      {report && <ReportView key={report.run_id} report={report} project={project} onOpenRunbook={onOpenRunbook} />}
      <section className="card">
        <h2>History</h2>
        {history.data && history.data.length === 0 && <div className="muted">No rehearsals of this project yet.</div>}
        {history.data && history.data.length > 0 && (
          <table className="grid" data-testid="rehearsal-history">
            <thead>
              <tr>
                <th>Run</th>
                <th>Kind</th>
                <th>Started</th>
                <th>Outcome</th>
                <th className="num">Rows</th>
                <th className="num">Duration</th>
                <th className="num">vs previous</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {history.data.map((h, i) => {
                const prev = history.data?.[i + 1];
                const delta = prev ? (h.seconds ?? 0) - (prev.seconds ?? 0) : null;
                return (
                  <tr key={h.run_id} data-testid="history-row" data-kind={h.kind} data-run-id={h.run_id}>
                    <td>{h.run_id}</td>
                    <td>{h.kind}</td>
                    <td>{new Date((h.started_at ?? 0) * 1000).toLocaleString()}</td>
                    <td>
                      <span className={`badge ${h.outcome === "passed" ? "good" : "warn"}`}>{h.outcome}</span>
                    </td>
                    <td className="num" data-testid="history-rows">
                      {formatCount(h.rows)}
                    </td>
                    <td className="num">{formatSeconds(h.seconds)}</td>
                    <td className="num">{delta === null ? "" : `${delta > 0 ? "+" : "−"}${formatSeconds(Math.abs(delta))}`}</td>
                    <td>
                      <button type="button" className="link" onClick={() => setReport(h)} data-testid="show-report">
                        Show report
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function LiveView({ live, running }: { live: Live; running: boolean }) {
  const tables = [...live.tables.values()];
  return (
    <section className="card" data-testid="rehearsal-live">
      <h2>{running ? `Running: ${live.step ?? "starting"}` : "Last run"}</h2>
      <ol className="steps">
        {live.steps.map((s) => (
          <li key={s.name}>
            {s.name} {s.seconds === null ? <span className="muted">running…</span> : <span className="muted">{formatSeconds(s.seconds)}</span>}
          </li>
        ))}
      </ol>
      {tables.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Table</th>
              <th>Progress</th>
              <th className="num">Rows</th>
              <th className="num">Rate</th>
              <th className="num">ETA</th>
              <th>Validation</th>
            </tr>
          </thead>
          <tbody>
            {tables.map((t) => {
              const total = Math.max(t.estimated ?? t.rows, t.rows, 1);
              return (
                <tr key={t.table}>
                  <td>{t.table}</td>
                  <td>
                    <progress max={total} value={t.done ? total : t.rows} />
                  </td>
                  <td className="num">{formatCount(t.rows)}</td>
                  <td className="num">{formatCount(t.rate)}/s</td>
                  <td className="num">{t.done ? "done" : formatSeconds(t.eta)}</td>
                  <td>{t.verdict ?? ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {live.backlog.length > 1 && (
        <div>
          <h3>Backlog: rows not yet copied</h3>
          <Suspense fallback={null}>
            <TimeSeriesChart points={live.backlog} yLabel="rows not yet copied" what="rows not yet copied" color="#2563eb" testId="lag-chart" />
          </Suspense>
        </div>
      )}
      {live.lag.length > 1 && (
        <div>
          <h3>Change-capture lag: changes not yet applied{live.lagPhase ? ` (${live.lagPhase})` : ""}</h3>
          <Suspense fallback={null}>
            <TimeSeriesChart points={live.lag} yLabel="changes pending" what="changes pending" color="#dc2626" testId="live-lag-chart" />
          </Suspense>
        </div>
      )}
    </section>
  );
}

function ReportView({ report, project, onOpenRunbook }: { report: RehearsalReport; project: ProjectView; onOpenRunbook: () => void }) {
  const steps = useMemo(
    () => report.steps.map((s) => ({ name: stepLabel(s.step_id, s.name), stepId: s.step_id ?? null, expected: s.expected ?? 0, measured: s.seconds ?? null, start: s.start ?? 0 })),
    [report.steps],
  );
  // The runbook names the point of no return; the report's steps are the runbook's, by id.
  const runbook = useLoad(async () => unwrap(await commands.runbook(project.handle)));
  const ponrStep = runbook.data?.steps.find((s) => s.ponr)?.id ?? null;
  const freezeStep = runbook.data?.steps.find((s) => s.phase === "freeze")?.id ?? null;
  // A report arrives below the forms: bring it into view, as a person would scroll to it.
  const box = useRef<HTMLElement>(null);
  useEffect(() => box.current?.scrollIntoView({ block: "start" }), []);
  return (
    <section className="card" data-testid="rehearsal-report" ref={box}>
      <h2>
        Report {report.run_id}: <span className={`badge ${report.outcome === "passed" ? "good" : "warn"}`} data-testid="rehearsal-outcome">{report.outcome}</span>
      </h2>
      <div className="muted">
        {report.source} → {report.target}; {formatSeconds(report.seconds)}; validation {report.verdict ?? "not run"}
      </div>
      {report.kind === "full" && <CalibrateAction report={report} project={project} onOpenRunbook={onOpenRunbook} />}
      <h3>Measured vs planned</h3>
      <Suspense fallback={<Loading what="chart" />}>
        <GanttChart steps={steps} freezeStep={freezeStep} ponrStep={ponrStep} />
      </Suspense>
      {report.failed_because && <div className="error">Failed because: {report.failed_because}</div>}
      {report.kind === "full" && (
        <div className="muted">
          Write downtime {formatSeconds(report.write_downtime_seconds)}; rollback drill {formatSeconds(report.rollback_seconds)} (RTO {formatSeconds(report.rto_seconds)}).
        </div>
      )}
      {report.lag.length > 1 && (
        <div>
          <h3>Change-capture lag</h3>
          <Suspense fallback={null}>
            <TimeSeriesChart
              points={report.lag.map((l) => [l.at_seconds ?? 0, l.pending ?? 0] as [number, number])}
              yLabel="changes pending"
              what="changes pending"
              color="#dc2626"
              testId="capture-lag-chart"
            />
          </Suspense>
        </div>
      )}
      {report.kind === "trial" && report.progress.length > 1 && (
        <div>
          <h3>Copy progress: rows copied over time</h3>
          <Suspense fallback={null}>
            <TimeSeriesChart
              points={report.progress.map((p) => [p.at_seconds ?? 0, p.rows ?? 0] as [number, number])}
              yLabel="copied (rows)"
              what="rows copied"
              color="#2563eb"
              testId="trial-progress-chart"
            />
          </Suspense>
        </div>
      )}
      {report.gates.length > 0 && (
        <>
          <h3>Go/no-go gates</h3>
          <table className="grid" data-testid="gates">
            <thead>
              <tr>
                <th>Result</th>
                <th>Gate</th>
                <th>Measured against the limit</th>
              </tr>
            </thead>
            <tbody>
              {report.gates.map((g, i) => (
                <tr key={i}>
                  <td>
                    <span className={`badge ${g.passed ? "good" : "warn"}`}>{g.passed ? "pass" : "fail"}</span>
                  </td>
                  <td>{g.gate}</td>
                  <td title={g.reason}>{keepUnitsWithFigures(gateOutcome(g.gate, g.reason))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {report.tables.length > 0 && <h3>Tables</h3>}
      {report.tables.length > 0 && (
      <table className="grid">
        <thead>
          <tr>
            <th>Table</th>
            <th className="num">Wave</th>
            <th className="num">Rows copied</th>
            <th className="num">Target rows</th>
            <th className="num">Rejected</th>
            <th className="num">Rows/s</th>
            <th>Validation</th>
          </tr>
        </thead>
        <tbody>
          {report.tables.map((t) => (
            <tr key={t.table}>
              <td>{t.table}</td>
              <td className="num">{t.wave}</td>
              <td className="num">{formatCount(t.rows)}</td>
              <td className="num">{formatCount(t.target_rows)}</td>
              <td className="num">{formatCount(t.rejected)}</td>
              <td className="num">{formatCount(t.rows_per_second)}</td>
              <td>{t.verdict ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      )}
    </section>
  );
}

/** Calibrates the project's plan from the report's run: its measured step times replace the
 * runbook's estimates, for every face (the choice is stored in the project). */
function CalibrateAction({ report, project, onOpenRunbook }: { report: RehearsalReport; project: ProjectView; onOpenRunbook: () => void }) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<RunbookView_Serialize | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function calibrate() {
    setBusy(true);
    setError(null);
    try {
      setDone(unwrap(await commands.calibrateRunbook(project.handle, report.run_id)));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="calibrate-action" data-testid="calibrate-action">
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void calibrate()} data-testid="calibrate-from-run">
          Calibrate the plan from this rehearsal
        </button>
        <span className="muted small">
          The step times it measured replace the runbook&apos;s estimates, scaled to the plan&apos;s rows, in the runbook and its exports (a rehearsal still times its steps against the estimates).
        </span>
      </div>
      {done && (
        <div className="ok" data-testid="calibrated">
          {calibrationSummary(done)}{" "}
          <button type="button" className="link" onClick={onOpenRunbook} data-testid="open-runbook">
            Open the runbook
          </button>
          {done.calibration_notes.map((n) => (
            <div key={n} className="muted small">
              {n}
            </div>
          ))}
        </div>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
    </div>
  );
}

/** How long the running rehearsal has run, in whole seconds (never "0 ms"). */
function runningFor(startedAt: number | null, now: number): string {
  const s = Math.max(0, Math.floor((now - (startedAt ?? now)) / 1000));
  return s < 120 ? `${s} s` : formatSeconds(s);
}
