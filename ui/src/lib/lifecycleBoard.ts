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
