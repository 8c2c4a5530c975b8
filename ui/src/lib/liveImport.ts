/** The live-import panel's logic: the schemas box and what progress and results say. */
import type { ConnectionInfo, ImportEvent } from "../bindings";
import { formatCount } from "./format";

/** Schemas (PostgreSQL) or databases (MySQL) from a box holding them separated by commas or spaces. */
export function parseSchemas(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ""))];
}

/** A progress line for an import event. */
export function importStatus(ev: ImportEvent): string {
  if (ev.event === "started") return `Reading ${ev.inputs} input${ev.inputs === 1 ? "" : "s"} (the live database through its catalog, read-only)…`;
  const r = ev.report;
  const rows = (r.rows ?? 0) > 0 ? `, ${formatCount(r.rows)} rows estimated` : "";
  return `Imported ${r.tables} tables, ${r.foreign_keys} foreign keys${rows}${r.changed ? "" : " (unchanged)"}.`;
}

/** Why a saved connection cannot be used for an import right now, if it cannot. */
export function unusable(c: ConnectionInfo): string | null {
  if (c.has_password && !c.password_available) return "its password is not available: enter it again";
  return null;
}
