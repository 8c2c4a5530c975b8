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
