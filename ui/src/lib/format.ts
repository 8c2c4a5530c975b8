/** Number formatting for grids and charts. */

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "?";
  return Math.round(n).toLocaleString("en-US");
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "?";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatMinutes(value: number | null | undefined): string {
  if (value === null || value === undefined) return "?";
  const m = value;
  if (m < 1) {
    // A duration a rehearsal measured is often under a second: "0 s" would read as nothing.
    const s = m * 60;
    if (s === 0 || s >= 10) return `${Math.round(s)} s`;
    if (s < 0.01) return "< 0.01 s";
    return `${Number(s.toFixed(s < 1 ? 2 : 1))} s`;
  }
  if (m < 120) return `${Number(m.toFixed(m < 10 ? 2 : 1))} min`;
  return `${(m / 60).toFixed(1)} h`;
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** `n` and the noun, singular or plural as the count asks: "1 artifact", "2 artifacts". */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

/**
 * A number of minutes for a grid column whose header names the unit ("Duration (min)"): the
 * figure alone, so every row of the column reads in the same unit. Sub-minute durations keep two
 * significant digits (a measured 0.14 s reads 0.0023, not 0), so the figure is also what the
 * inline edit shows and takes back unchanged.
 */
export function minutesFigure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "?";
  if (value === 0) return "0";
  if (value < 0.0001) return "< 0.0001";
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  return String(Number(value.toPrecision(2)));
}

/** Minutes from the start as a clock offset, `h:mm:ss` (a column headed "Starts at (h:mm:ss)"). */
export function clockFigure(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return "?";
  const total = Math.round(minutes * 60);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** Bytes as megabytes for a column headed "Size (MB)": the figure alone, one unit down the column. */
export function megabytesFigure(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "?";
  const mb = bytes / (1024 * 1024);
  if (mb === 0) return "0";
  if (mb < 0.01) return "< 0.01";
  if (mb >= 100) return Math.round(mb).toLocaleString("en-US");
  return mb.toFixed(mb >= 10 ? 1 : 2);
}

/**
 * A go/no-go gate's reason without the gate itself, which the gates table shows in its own column.
 * The engine writes every reason as `<gate>: <outcome>`, the gate being its code and label
 * (`G004 time of step backfill: measured 1.2 s, limit 60 s` → `measured 1.2 s, limit 60 s`), or its
 * label alone in reports written before gates had codes. A reason written another way is returned whole.
 */
export function gateOutcome(gate: string, reason: string): string {
  const lead = `${gate}: `;
  return reason.startsWith(lead) ? reason.slice(lead.length) : reason;
}

/**
 * `text` with each figure kept on one line with the unit after it and the bound before it: a
 * no-break space between a digit and the word that follows (`limit 30 s` never wraps between
 * `30` and `s`) and between `<` and a figure (`< 0.001 s`). The HTML report does the same
 * (`keep_units_with_figures` in `src/rehearsal/report.rs`).
 */
export function keepUnitsWithFigures(text: string): string {
  return text.replace(/(\d) (?=[^\d\s,;:()])/g, "$1\u00a0").replace(/< (?=\d)/g, "<\u00a0");
}
