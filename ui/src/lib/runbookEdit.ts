/** The runbook's inline edit and how a step's duration is labelled (estimate, measured, typed). */
import type { RunbookView_Serialize, StepEditRequest_Deserialize, StepView_Serialize } from "../bindings";
import { minutesFigure } from "./format";

/** What the edit row's fields hold, as typed. */
export type StepForm = { owner: string; minutes: string; notes: string };

/** The form of `step` as it is shown: the duration as the grid's "Duration (min)" column writes it. */
export function stepForm(step: StepView_Serialize): StepForm {
  return { owner: step.owner, minutes: step.expected_minutes === null ? "" : minutesFigure(step.expected_minutes), notes: step.notes ?? "" };
}

/** Minutes as typed: `null` for blank, `NaN` when not a number of minutes (0 or more). */
export function parseMinutes(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

/**
 * The edit to send for `form` on `step`, or why it cannot be sent. A duration left as shown is
 * sent only when a person typed it before: otherwise saving a note would freeze an estimate or a
 * measured duration as a typed one, and calibrating (or going back to the estimates) would no
 * longer change that step. A blank duration gives the step its estimate or measurement back.
 */
export function stepEditRequest(
  step: StepView_Serialize,
  form: StepForm,
): { ok: true; edit: StepEditRequest_Deserialize } | { ok: false; field: "minutes"; message: string } {
  const minutes = parseMinutes(form.minutes);
  if (minutes !== null && Number.isNaN(minutes)) {
    return { ok: false, field: "minutes", message: `“${form.minutes.trim()}” is not a number of minutes (0 or more): type e.g. 2.5 for two and a half minutes` };
  }
  // The figure as the column shows it is rounded: left as shown, it means the duration unchanged.
  const shown = step.expected_minutes === null ? "" : minutesFigure(step.expected_minutes);
  const unchanged = minutes !== null && (minutes === step.expected_minutes || form.minutes.trim() === shown);
  const expected_minutes = unchanged ? (step.duration === "edited" ? step.expected_minutes : null) : minutes;
  return { ok: true, edit: { key: step.key, owner: form.owner, expected_minutes, notes: form.notes } };
}

/** The badge beside a step's duration: where the figure comes from, in words. */
export function durationBadge(step: StepView_Serialize, calibratedFrom: string | null): { label: string; title: string } | null {
  switch (step.duration) {
    case "calibrated":
      return { label: "measured", title: `Measured in rehearsal ${calibratedFrom ?? "?"}: ${step.estimate_basis}` };
    case "edited":
      return { label: "typed", title: `Typed by a person: ${step.estimate_basis}` };
    default:
      return null;
  }
}

/** The sentence under the runbook's title about where its durations come from. */
export function calibrationSummary(view: RunbookView_Serialize): string {
  const measured = view.steps.filter((s) => s.duration === "calibrated").length;
  if (view.calibrated_from === null) return "Durations are the planner's estimates.";
  const steps = measured === 1 ? "1 step" : `${measured} steps`;
  return `Calibrated from rehearsal ${view.calibrated_from}: the durations of ${steps} are the ones it measured, scaled to this plan's rows; the others are estimates.`;
}
