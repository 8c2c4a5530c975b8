import type { JobCard_Serialize as JobCard, LifecycleBoard_Serialize as LifecycleBoard } from "../bindings";

/** A board column: one phase, its count of jobs, and the cards shown in it. */
export interface BoardColumn {
  phase: string;
  label: string;
  total: number;
  cards: JobCard[];
}

const labels: Record<string, string> = {
  planned: "Planned",
  shadow: "Shadow",
  reverse_shadow: "Reverse shadow",
  cleanup: "Cleanup",
  done: "Done",
  held: "Held",
};

/** A job needs a look when it is held, regressing, awaiting approval or stuck. */
export function needsLook(card: JobCard): boolean {
  return card.attention.length > 0;
}

/**
 * The board's columns in lifecycle order, `held` last; with `onlyAttention` only the cards
 * that need a look (the operator's view, as `lifecycle status` without `--all`).
 */
export function boardColumns(board: LifecycleBoard, onlyAttention: boolean): BoardColumn[] {
  return board.phases.map((p) => ({
    phase: p.phase,
    label: labels[p.phase] ?? p.phase,
    total: p.jobs,
    cards: board.jobs.filter((j) => j.phase === p.phase && (!onlyAttention || needsLook(j))),
  }));
}

/** "12 s ago", "3 min ago", "2 h ago" from Unix seconds. */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round(now - at));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/**
 * What a person can do on a card: approve the cleanup of a job awaiting it (not yet approved),
 * release a held job, or nothing.
 */
export function approvalAction(card: JobCard): "approve" | "release" | null {
  if (card.phase === "held") return "release";
  if (card.phase === "reverse_shadow" && card.approved_by == null && card.awaiting_approval) return "approve";
  return null;
}

/** The tick limit typed in the board's field: a whole number ≥ 1, `null` for none (blank), or an error in words. */
export function parseTickLimit(text: string): { ticks: number | null } | { error: string } {
  const t = text.trim();
  if (t === "") return { ticks: null };
  if (!/^\d+$/.test(t) || Number(t) < 1) return { error: `“${t}” is not a number of ticks: give a whole number from 1, or leave it blank to run until every job is done or held.` };
  return { ticks: Number(t) };
}

/** The longest wait between ticks the board takes: a day. */
export const MAX_INTERVAL_SECONDS = 86_400;

/**
 * The seconds between ticks typed in the board's field: a number from 1 to a day, `null` for
 * blank (the project's setting for databases, none for a file), or an error in words.
 */
export function parseTickInterval(text: string): { seconds: number | null } | { error: string } {
  const t = text.trim().replace(/\s*s$/, "");
  if (t === "") return { seconds: null };
  const n = Number(t);
  if (!/^\d+(\.\d+)?$/.test(t) || n < 1 || n > MAX_INTERVAL_SECONDS) {
    return { error: `“${text.trim()}” is not a wait between ticks: give seconds from 1 to 86,400 (a day), or leave it blank for the project's setting.` };
  }
  return { seconds: n };
}

/** "ticks 3–7 (5 ticks)", "no tick ran" for a finished loop run. */
export function tickRange(first: number, last: number, ticks: number): string {
  if (ticks === 0) return "no tick ran";
  if (first === last) return `tick ${first} (1 tick)`;
  return `ticks ${first}–${last} (${ticks} ticks)`;
}
