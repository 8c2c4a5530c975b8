import { useState } from "react";
import { commands, type ConnectionEngine, type ConnectionInfo } from "../bindings";
import { unwrap } from "../lib/errors";
import { ErrorBanner } from "../components/Feedback";

const defaults: Record<ConnectionEngine, { port: string; user: string }> = {
  postgres: { port: "5432", user: "postgres" },
  mysql: { port: "3306", user: "root" },
  sqlite: { port: "", user: "" },
};

/** A connection form: the password goes to Rust (keychain) and never comes back. */
export function ConnectionForm({ onSaved }: { onSaved: (c: ConnectionInfo) => void }) {
  const [form, setForm] = useState({ name: "", engine: "postgres" as ConnectionEngine, host: "127.0.0.1", port: "5432", user: "postgres", database: "", password: "" });
  const [error, setError] = useState<unknown>(null);
  async function save() {
    setError(null);
    try {
      const saved = unwrap(
        await commands.saveConnection({
          name: form.name,
          engine: form.engine,
          host: form.host,
          port: form.port.trim() === "" ? null : Number(form.port),
          user: form.user,
          database: form.database,
          password: form.password,
        }),
      );
      setForm({ ...form, name: "", database: "", password: "" });
      onSaved(saved);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <div className="connection-form" data-testid="connection-form">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="form-grid">
        <label>
          Name
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="conn-name" />
        </label>
        <label>
          Engine
          <select
            value={form.engine}
            onChange={(e) => {
              const engine = e.target.value as ConnectionEngine;
              setForm({ ...form, engine, ...defaults[engine] });
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
              <input value={form.host} onChange={(e) => setForm({ ...form, host: e.target.value })} />
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
        <label>
          {form.engine === "sqlite" ? "File" : "Database (empty for a server)"}
          <input value={form.database} onChange={(e) => setForm({ ...form, database: e.target.value })} data-testid="conn-database" />
        </label>
        {form.engine !== "sqlite" && (
          <label>
            Password
            <input type="password" autoComplete="off" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          </label>
        )}
      </div>
      <button type="button" onClick={() => void save()} data-testid="conn-save">
        Save connection
      </button>
    </div>
  );
}
