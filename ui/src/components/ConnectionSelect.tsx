/** A saved connection picked by name: "choose…" first, then each as its name and its URL without the password. */
import type { ConnectionInfo } from "../bindings";

export function ConnectionSelect({
  value,
  onChange,
  connections,
  testId,
  markPasswordNeeded = false,
}: {
  value: string;
  onChange: (name: string) => void;
  connections: ConnectionInfo[];
  testId: string;
  /** Says "(password needed)" after a connection whose password is not in the keychain. */
  markPasswordNeeded?: boolean;
}) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      <option value="">choose…</option>
      {connections.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name} — {c.display_url}
          {markPasswordNeeded && !c.password_available ? " (password needed)" : ""}
        </option>
      ))}
    </select>
  );
}
