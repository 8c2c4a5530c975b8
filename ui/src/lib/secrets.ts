/** What the connection form says about where a password goes, from the app's secret store. */
import type { AppInfo } from "../bindings";

export interface SecretsText {
  /** Whether passwords are forgotten when the app quits. */
  memoryOnly: boolean;
  text: string;
}

export function secretsText(info: AppInfo | null): SecretsText {
  if (info === null) return { memoryOnly: false, text: "" };
  if (info?.secrets === "memory") {
    const why = info.secrets_note ?? "no OS keychain is available";
    return {
      memoryOnly: true,
      text: `Passwords cannot be stored on this machine: ${why}. A password you enter is kept in this app's memory only — never on disk, never in the project — and must be entered again after the app restarts.`,
    };
  }
  return {
    memoryOnly: false,
    text: "The password goes to the OS keychain. It never reaches this window, a log or the project folder.",
  };
}
