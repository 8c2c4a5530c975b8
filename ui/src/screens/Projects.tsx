import { useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import { commands, type ImportEvent, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { newTaskId, useLoad } from "../lib/useLoad";
import { EmptyState, ErrorBanner } from "../components/Feedback";
import { formatCount } from "../lib/format";

interface Props {
  project: ProjectView | null;
  onOpened: (p: ProjectView) => void;
  onReimported: (p: ProjectView) => void;
}

export function ProjectsScreen({ project, onOpened, onReimported }: Props) {
  const recent = useLoad(async () => unwrap(await commands.recentProjects()));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [importTask, setImportTask] = useState<string | null>(null);
  const [importStatus, setImportStatus] = useState<string | null>(null);

  // The folder is chosen in a dialog the app opens (Rust side), or taken from the recent list
  // (which holds only folders chosen there): the window never names a folder to open. What it
  // gets back is the project's handle, which every other command takes.
  async function opening(how: () => Promise<ProjectView | null>) {
    setBusy("Opening…");
    setError(null);
    try {
      const opened = await how();
      if (opened) {
        onOpened(opened);
        recent.reload();
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }
  const browse = () => opening(async () => unwrap(await commands.openProject()));
  const openRecent = (path: string) => opening(async () => unwrap(await commands.openRecentProject(path)));

  async function reimport() {
    if (!project) return;
    const task = newTaskId("import");
    setImportTask(task);
    setError(null);
    const channel = new Channel<ImportEvent>();
    channel.onmessage = (ev) => {
      setImportStatus(ev.event === "started" ? `Reading ${ev.inputs} inputs…` : `Imported ${ev.report.tables} tables, ${formatCount(ev.report.rows)} rows${ev.report.changed ? "" : " (unchanged)"}`);
    };
    try {
      onReimported(unwrap(await commands.importProject(project.handle, task, channel)));
    } catch (e) {
      setError(e);
      setImportStatus(null);
    } finally {
      setImportTask(null);
    }
  }

  return (
    <div className="screen">
      <h1>Projects</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {project && (
        <section className="card" data-testid="project-summary">
          <h2>{project.name}</h2>
          <div className="muted">{project.root}</div>
          <dl className="facts">
            <dt>Migration</dt>
            <dd>
              {project.source_engine} → {project.target_engine}, {project.shape}
            </dd>
            <dt>RTO / window</dt>
            <dd>
              {project.rto_minutes} min / {project.maintenance_window_minutes} min
            </dd>
            <dt>Inventory</dt>
            <dd>
              {project.counts.tables} tables, {project.counts.views} views, {project.counts.triggers} triggers, {project.counts.services} services,{" "}
              {formatCount(project.counts.rows)} rows; {project.counts.waves} waves, {project.counts.cycles} cycles
              {project.counts.warnings > 0 && `, ${project.counts.warnings} warnings`}
            </dd>
            <dt>Inputs</dt>
            <dd>{project.inputs.length === 0 ? "none yet: add scripts to migration-studio.toml" : project.inputs.join(", ")}</dd>
          </dl>
          <div className="row">
            <button type="button" onClick={() => void reimport()} disabled={importTask !== null} data-testid="reimport">
              Re-import inputs
            </button>
            {importTask && (
              <button type="button" onClick={() => void commands.cancelTask(importTask)}>
                Cancel
              </button>
            )}
            {importStatus && <span className="muted">{importStatus}</span>}
          </div>
        </section>
      )}
      <section className="card">
        <h2>Open a project</h2>
        <p className="muted">Choose the folder holding migration-studio.toml in the app&apos;s folder dialog.</p>
        <div className="row">
          <button type="button" onClick={() => void browse()} disabled={busy !== null} data-testid="open-project">
            Open a project…
          </button>
        </div>
        {busy && <div className="muted">{busy}</div>}
      </section>
      <CreateProject onCreated={onOpened} />
      <section className="card">
        <h2>Recent projects</h2>
        {recent.data && recent.data.length === 0 && (
          <EmptyState title="No recent projects" testId="no-recent">
            Open a project above; try <code>sample-projects/sakila-mysql-to-postgres</code> from the repository.
          </EmptyState>
        )}
        <ul className="recent">
          {recent.data?.map((r) => (
            <li key={r.path}>
              <button type="button" className="link" disabled={!r.exists} onClick={() => void openRecent(r.path)} title={r.path} data-testid="open-recent">
                {r.name}
              </button>{" "}
              <span className="muted">{r.path}</span>
              {!r.exists && <span className="badge warn">missing</span>}{" "}
              <button type="button" className="link muted" onClick={async () => recent.set(unwrap(await commands.forgetRecentProject(r.path)))}>
                forget
              </button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function CreateProject({ onCreated }: { onCreated: (p: ProjectView) => void }) {
  const [form, setForm] = useState({ name: "", source: "mysql", target: "postgres", shape: "cdc", inputs: "" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  type Engine = "postgres" | "mysql" | "sqlite";
  type Shape = "offline" | "dual-write" | "cdc" | "blue-green";
  // The folder is asked for in a dialog the app opens (Rust side): this form never names a path
  // to write to. `null` is a cancelled dialog.
  async function create() {
    setError(null);
    setBusy(true);
    try {
      const created = unwrap(
        await commands.createProject({
          name: form.name,
          source: form.source as Engine,
          target: form.target as Engine,
          shape: form.shape as Shape,
          inputs: form.inputs.split(",").map((s) => s.trim()).filter((s) => s !== ""),
        }),
      );
      if (created) onCreated(created);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const engines = ["postgres", "mysql", "sqlite"];
  return (
    <section className="card">
      <h2>Create a project</h2>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="form-grid">
        <label>
          Name
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="(the folder name)" data-testid="create-name" />
        </label>
        <label>
          Source
          <select value={form.source} onChange={(e) => setForm({ ...form, source: e.target.value })} data-testid="create-source">
            {engines.map((e) => (
              <option key={e}>{e}</option>
            ))}
          </select>
        </label>
        <label>
          Target
          <select value={form.target} onChange={(e) => setForm({ ...form, target: e.target.value })} data-testid="create-target">
            {engines.map((e) => (
              <option key={e}>{e}</option>
            ))}
          </select>
        </label>
        <label>
          Shape
          <select value={form.shape} onChange={(e) => setForm({ ...form, shape: e.target.value })} data-testid="create-shape">
            {["offline", "dual-write", "cdc", "blue-green"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          SQL scripts (inside the folder, comma-separated)
          <input value={form.inputs} onChange={(e) => setForm({ ...form, inputs: e.target.value })} placeholder="ddl/schema.sql, data/rows.sql" data-testid="create-inputs" />
        </label>
      </div>
      <p className="muted">The app asks for the project's folder next: choose an empty folder, or make one in the dialog.</p>
      <button type="button" onClick={() => void create()} disabled={busy} data-testid="create-project">
        Choose folder and create…
      </button>
    </section>
  );
}
