import { useState } from "react";
import { commands, type ConnectionEngine, type ConnectionInfo } from "../bindings";
import { unwrap } from "../lib/errors";
import { fieldError } from "../lib/riskForm";
import { secretsText } from "../lib/secrets";
import { useLoad } from "../lib/useLoad";
import { ErrorBanner } from "../components/Feedback";

const defaults: Record<ConnectionEngine, { port: string; user: string }> = {
  postgres: { port: "5432", user: "postgres" },
  mysql: { port: "3306", user: "root" },
  sqlite: { port: "", user: "" },
};

/** Where a password goes on this machine: the keychain, or (said plainly) memory only. */
export function SecretsNotice() {
  const info = useLoad(async () => unwrap(await commands.appInfo()));
  const t = secretsText(info.data);
  if (t.text === "") return null;
  return (
    <div className={t.memoryOnly ? "notice" : "muted small"} data-testid={t.memoryOnly ? "secrets-memory" : "secrets-keychain"}>
      {t.text}
    </div>
  );
}

/** A connection form: the password goes to Rust (keychain) and never comes back. Saving under an
 * existing name replaces that connection (an empty password field keeps its password). */
export function ConnectionForm({ onSaved, initial }: { onSaved: (c: ConnectionInfo) => void; initial?: ConnectionInfo }) {
  const [form, setForm] = useState({
    name: initial?.name ?? "",
    engine: (initial?.engine ?? "postgres") as ConnectionEngine,
    host: initial?.host ?? "127.0.0.1",
    port: initial ? (initial.port?.toString() ?? "") : "5432",
    user: initial?.user ?? "postgres",
    database: initial?.database ?? "",
    password: "",
  });
  const [error, setError] = useState<unknown>(null);
  const [field, setField] = useState<{ field: string; message: string } | null>(null);
  async function save() {
    setError(null);
    setField(null);
    try {
      const saved = unwrap(
        await commands.saveConnection({
          name: form.name,
          engine: form.engine,
          host: form.host,
          port: form.port.trim() === "" ? null : Number(form.port),
          user: form.user,
          database: form.database,
          // Re-saving a known connection with the box left empty keeps its password.
          password: initial && form.password === "" ? null : form.password,
        }),
      );
      setForm({ ...form, name: "", database: "", password: "" });
      onSaved(saved);
    } catch (e) {
      const f = fieldError(e);
      if (f) setField(f);
      else setError(e);
    }
  }
  async function chooseFile() {
    setError(null);
    setField(null);
    try {
      const file = unwrap(await commands.chooseSqliteFile());
      if (file !== null) setForm((f) => ({ ...f, database: file }));
    } catch (e) {
      setError(e);
    }
  }
  const bad = (name: string) => (field?.field === name ? "invalid" : "");
  const hint = (name: string) => field?.field === name && <span className="field-error">{field.message}</span>;
  return (
    <div className="connection-form" data-testid="connection-form">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="form-grid">
        <label>
          Name
          <input className={bad("name")} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="conn-name" />
          {hint("name")}
        </label>
        <label>
          Engine
          <select
            value={form.engine}
            onChange={(e) => {
              const engine = e.target.value as ConnectionEngine;
              // A database name is not a file, nor a file a database name.
              const database = (engine === "sqlite") === (form.engine === "sqlite") ? form.database : "";
              setForm({ ...form, engine, database, ...defaults[engine] });
            }}
            data-testid="conn-engine"
          >
            <option value="postgres">PostgreSQL</option>
            <option value="mysql">MySQL / MariaDB</option>
            <option value="sqlite">SQLite file</option>
          </select>
        </label>
        {form.engine !== "sqlite" && (
          <>
            <label>
              Host
              <input className={bad("host")} value={form.host} onChange={(e) => setForm({ ...form, host: e.target.value })} data-testid="conn-host" />
              {hint("host")}
            </label>
            <label>
              Port
              <input className="narrow" value={form.port} onChange={(e) => setForm({ ...form, port: e.target.value })} data-testid="conn-port" />
            </label>
            <label>
              User
              <input value={form.user} onChange={(e) => setForm({ ...form, user: e.target.value })} data-testid="conn-user" />
            </label>
          </>
        )}
        {form.engine === "sqlite" ? (
          // The file is chosen in a dialog the app opens (Rust side): a path typed here would be
          // refused, so there is no box to type one in.
          <label>
            File
            <span className="row">
              <input className={bad("database")} value={form.database} readOnly placeholder="(none chosen)" data-testid="conn-file" />
              <button type="button" className="secondary" onClick={() => void chooseFile()} data-testid="conn-choose-file">
                Choose file…
              </button>
            </span>
            {hint("database")}
          </label>
        ) : (
          <label>
            Database (empty for a server)
            <input className={bad("database")} value={form.database} onChange={(e) => setForm({ ...form, database: e.target.value })} data-testid="conn-database" />
            {hint("database")}
          </label>
        )}
        {form.engine !== "sqlite" && (
          <label>
            Password{initial?.has_password && initial.password_available ? " (empty: keep the stored one)" : ""}
            <input type="password" autoComplete="off" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} data-testid="conn-password" />
          </label>
        )}
      </div>
      <SecretsNotice />
      <button type="button" onClick={() => void save()} data-testid="conn-save">
        Save connection
      </button>
    </div>
  );
}
