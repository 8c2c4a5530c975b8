/** The risk editor's logic: a draft from a row, checks before sending, the form the shell takes,
 * and which field a refused save names. The engine checks again; these only spare a round trip. */
import type { NodeView, RiskForm_Deserialize, RiskRow } from "../bindings";
import { CommandError } from "./errors";

export interface RiskDraft {
  /** Empty for a new risk. */
  id: string;
  title: string;
  category: string;
  severity: number;
  likelihood: number;
  mitigation: string;
  owner: string;
  status: string;
  /** Linked artifact ids. */
  artifacts: string[];
  /** Runbook step id (`S012`) or the name of a validation check. */
  retiredBy: string;
  /** Ordering constraints, one `X before Y` per line. */
  ordering: string;
}

/** Form fields a message can be about (the names the shell uses in `AppError.field`). */
export type RiskField = "title" | "category" | "severity" | "likelihood" | "status" | "ordering" | "artifacts";
export type FieldErrors = Partial<Record<RiskField, string>>;

export function emptyDraft(category = "data loss"): RiskDraft {
  return { id: "", title: "", category, severity: 3, likelihood: 3, mitigation: "", owner: "", status: "open", artifacts: [], retiredBy: "", ordering: "" };
}

export function draftOf(row: RiskRow): RiskDraft {
  return {
    id: row.id,
    title: row.title,
    category: row.category,
    severity: row.severity,
    likelihood: row.likelihood,
    mitigation: row.mitigation ?? "",
    owner: row.owner ?? "",
    status: row.status,
    artifacts: [...row.artifacts],
    retiredBy: row.retired_by ?? "",
    ordering: row.ordering.join("\n"),
  };
}

const blankToNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** The lines of the ordering box that hold something. */
export function orderingLines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** What the shell's `save_risk` takes. */
export function formOf(d: RiskDraft): RiskForm_Deserialize {
  return {
    id: d.id,
    title: d.title.trim(),
    category: d.category,
    severity: d.severity,
    likelihood: d.likelihood,
    mitigation: blankToNull(d.mitigation),
    owner: blankToNull(d.owner),
    status: d.status,
    artifacts: d.artifacts,
    retired_by: blankToNull(d.retiredBy),
    ordering: orderingLines(d.ordering),
  };
}

const level = (v: number) => Number.isInteger(v) && v >= 1 && v <= 5;

/** Problems the form can see by itself, by field. */
export function checkDraft(d: RiskDraft): FieldErrors {
  const errors: FieldErrors = {};
  if (d.title.trim() === "") errors.title = "Say what could happen.";
  if (!level(d.severity)) errors.severity = "Severity is 1 (negligible) to 5 (severe).";
  if (!level(d.likelihood)) errors.likelihood = "Likelihood is 1 (rare) to 5 (almost certain).";
  const bad = orderingLines(d.ordering).find((l) => !/^\S.*\sbefore\s.*\S$/.test(l));
  if (bad !== undefined) errors.ordering = `“${bad}” is not “X before Y” (artifact ids).`;
  return errors;
}

/** The field a refused command names (`invalid_input` with a field), with its message. */
export function fieldError(e: unknown): { field: string; message: string } | null {
  if (e instanceof CommandError && e.error.code === "invalid_input" && e.error.field) {
    return { field: e.error.field, message: e.error.message };
  }
  return null;
}

/** Severity × likelihood. */
export const scoreOf = (d: Pick<RiskDraft, "severity" | "likelihood">) => d.severity * d.likelihood;

/** Artifacts matching `query` (id or name, any case) that are not chosen yet, at most `limit`. */
export function matchArtifacts(all: readonly NodeView[], query: string, chosen: readonly string[], limit = 50): NodeView[] {
  const q = query.trim().toLowerCase();
  const taken = new Set(chosen);
  const out: NodeView[] = [];
  for (const a of all) {
    if (taken.has(a.id)) continue;
    if (q !== "" && !a.id.toLowerCase().includes(q) && !a.name.toLowerCase().includes(q)) continue;
    out.push(a);
    if (out.length >= limit) break;
  }
  return out;
}

/** Adds `id` to the linked artifacts (once, sorted as the engine stores them). */
export function withArtifact(d: RiskDraft, id: string): RiskDraft {
  const trimmed = id.trim();
  if (trimmed === "" || d.artifacts.includes(trimmed)) return d;
  return { ...d, artifacts: [...d.artifacts, trimmed].sort() };
}

const fieldOfDraft: Record<RiskField, keyof RiskDraft> = {
  title: "title",
  category: "category",
  severity: "severity",
  likelihood: "likelihood",
  status: "status",
  ordering: "ordering",
  artifacts: "artifacts",
};

/** The errors still standing once `before` became `after`: a field edited since is not wrong any more until checked again. */
export function stillWrong(errors: FieldErrors, before: RiskDraft, after: RiskDraft): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(errors) as [RiskField, string][]) {
    const key = fieldOfDraft[field];
    if (key === undefined || before[key] === after[key]) out[field] = message;
  }
  return out;
}
