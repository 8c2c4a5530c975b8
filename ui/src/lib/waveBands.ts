/**
 * The overview of a graph with many waves: contiguous wave ranges as labelled bands ("waves
 * 1–41 · 412 tables"), about as many tables in each, laid out as a grid of cards in wave order
 * that opens readable whole. A band opens into its waves (one card each), a wave into its
 * tables. Pure and unit-tested, like `graphModel.ts`.
 */
import type { GraphView, NodeView } from "../bindings";
import { counted } from "./format";
import { cycleMembers, itemNode, NODE_HEIGHT, NODE_WIDTH, type Point, type VisEdge, type VisibleGraph, type VisNode, type Viewport } from "./graphModel";

/** Above this many waves, grouping by wave shows bands of waves. */
export const BAND_MIN_WAVES = 20;
/** At most this many bands: all of them read at the opening zoom on a 1280 × 800 window. */
export const MAX_BANDS = 12;

export const BAND_WIDTH = 280;
export const BAND_HEIGHT = 76;
const BAND_GAP_X = 40;
const BAND_GAP_Y = 28;
const WAVE_GAP_X = 40;
const ITEM_GAP_Y = 12;

export interface WaveBand {
  /** 0-based, in wave order. */
  index: number;
  first: number;
  last: number;
  /** The artifacts in it, by id. */
  members: string[];
  /** How many of each kind (`table`, `view`…). */
  kinds: Map<string, number>;
}

/** Where a node of the banded view sits: a closed band, an open band's header, a wave card, an open wave's header, or one table. */
export type BandLevel = "band" | "band-open" | "wave" | "wave-open" | "item";

export interface BandNode extends VisNode {
  band: number;
  level: BandLevel;
  /** What the card says under its name: `412 tables · 3 views`. */
  summary: string;
}

export interface BandedGraph extends VisibleGraph {
  nodes: BandNode[];
  bands: WaveBand[];
}

/** `wave 4` or `waves 1–41`. */
export function bandLabel(b: { first: number; last: number }): string {
  return b.first === b.last ? `wave ${b.first}` : `waves ${b.first}–${b.last}`;
}

/** `412 tables`, `400 tables · 12 views`, `400 tables · 12 views · 3 more`: the two commonest kinds, then the rest. */
export function kindsSummary(kinds: Map<string, number>): string {
  const sorted = [...kinds].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const parts = sorted.slice(0, 2).map(([kind, n]) => counted(n, kind));
  const rest = sorted.slice(2).reduce((sum, [, n]) => sum + n, 0);
  if (rest > 0) parts.push(`${rest.toLocaleString("en")} more`);
  return parts.join(" · ");
}

/** Whether grouping `view` by wave shows bands. */
export function usesBands(view: GraphView): boolean {
  return view.waves > BAND_MIN_WAVES;
}

/**
 * Contiguous wave ranges holding about the same number of artifacts each, at most `max` of
 * them; a wave is never split.
 */
export function waveBands(nodes: readonly NodeView[], max = MAX_BANDS): WaveBand[] {
  const byWave = new Map<number, NodeView[]>();
  for (const n of nodes) {
    const list = byWave.get(n.wave);
    if (list) list.push(n);
    else byWave.set(n.wave, [n]);
  }
  const waves = [...byWave.keys()].sort((a, b) => a - b);
  const bands: WaveBand[] = [];
  const share = nodes.length / Math.max(1, max);
  let seen = 0;
  for (const wave of waves) {
    const members = byWave.get(wave) ?? [];
    let band = bands[bands.length - 1];
    // A new band once the last one holds its share of everything seen so far.
    if (!band || (seen >= share * bands.length && bands.length < max)) {
      band = { index: bands.length, first: wave, last: wave, members: [], kinds: new Map() };
      bands.push(band);
    }
    band.last = wave;
    for (const n of members) {
      band.members.push(n.id);
      band.kinds.set(n.kind, (band.kinds.get(n.kind) ?? 0) + 1);
    }
    seen += members.length;
  }
  return bands;
}

/** The key a band or a wave is opened by in the screen's set of opened groups. */
export function bandKey(b: WaveBand): string {
  return `band ${bandLabel(b)}`;
}

export function waveKey(wave: number): string {
  return `wave ${wave}`;
}

/**
 * What the banded overview draws, given the bands and the keys opened ([`bandKey`],
 * [`waveKey`]). Only dependencies with a table at one end at least are drawn, merged per pair of
 * cards as `visibleGraph` does: between two cards (bands or waves) they always run from the
 * earlier to the later, which the wave order already says, and drawn they tangled the grid.
 */
export function bandedGraph(view: GraphView, bands: readonly WaveBand[], opened: ReadonlySet<string>): BandedGraph {
  const inCycle = cycleMembers(view);
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const repr = new Map<string, string>();
  const nodes: BandNode[] = [];
  for (const b of bands) {
    const id = `band:${b.first}-${b.last}`;
    const open = opened.has(bandKey(b));
    const card: BandNode = {
      id,
      label: bandLabel(b),
      kind: "band",
      wave: b.first,
      group: true,
      count: b.members.length,
      members: b.members,
      inCycle: b.members.some((m) => inCycle.has(m)),
      band: b.index,
      level: open ? "band-open" : "band",
      summary: kindsSummary(b.kinds),
    };
    nodes.push(card);
    if (!open) {
      for (const m of b.members) repr.set(m, id);
      continue;
    }
    const waves = new Map<number, NodeView[]>();
    for (const m of b.members) {
      const n = byId.get(m);
      if (!n) continue;
      const list = waves.get(n.wave);
      if (list) list.push(n);
      else waves.set(n.wave, [n]);
    }
    for (const [wave, members] of [...waves].sort((x, y) => x[0] - y[0])) {
      const waveOpen = opened.has(waveKey(wave));
      const kinds = new Map<string, number>();
      for (const n of members) kinds.set(n.kind, (kinds.get(n.kind) ?? 0) + 1);
      const waveId = `group:${waveKey(wave)}`;
      nodes.push({
        id: waveId,
        label: waveKey(wave),
        kind: "group",
        wave,
        group: true,
        count: members.length,
        members: members.map((n) => n.id),
        inCycle: members.some((n) => inCycle.has(n.id)),
        band: b.index,
        level: waveOpen ? "wave-open" : "wave",
        summary: kindsSummary(kinds),
      });
      for (const n of members) {
        if (!waveOpen) {
          repr.set(n.id, waveId);
          continue;
        }
        repr.set(n.id, n.id);
        nodes.push({
          ...itemNode(n, inCycle),
          band: b.index,
          level: "item",
          summary: `${n.kind} · wave ${n.wave}`,
        });
      }
    }
  }
  const cards = new Set(nodes.filter((n) => n.level !== "item").map((n) => n.id));
  const edges = new Map<string, VisEdge>();
  for (const e of view.edges) {
    const source = repr.get(e.to);
    const target = repr.get(e.from);
    if (source === undefined || target === undefined || source === target) continue;
    if (cards.has(source) && cards.has(target)) continue;
    const id = `${source}->${target}`;
    const existing = edges.get(id);
    if (existing) {
      existing.count += 1;
      existing.deferred &&= e.deferred;
      existing.label = null;
    } else {
      edges.set(id, { id, source, target, count: 1, deferred: e.deferred, label: e.deferred ? `break: ${e.label ?? e.kind}` : null });
    }
  }
  return { nodes, edges: [...edges.values()], bands: [...bands] };
}

/** A node's box in graph units: bands are larger cards than waves and tables. */
export function bandNodeSize(n: BandNode): { width: number; height: number } {
  return n.level === "band" || n.level === "band-open" ? { width: BAND_WIDTH, height: BAND_HEIGHT } : { width: NODE_WIDTH, height: NODE_HEIGHT };
}

/** How many band cards per row make the grid of `count` bands largest on a canvas of `width` × `height` px. */
export function bandColumns(count: number, width: number, height: number): number {
  let best = 1;
  let bestZoom = 0;
  for (let columns = 1; columns <= Math.max(1, count); columns++) {
    const rows = Math.ceil(count / columns);
    const w = columns * (BAND_WIDTH + BAND_GAP_X) - BAND_GAP_X;
    const h = rows * (BAND_HEIGHT + BAND_GAP_Y) - BAND_GAP_Y;
    const zoom = Math.min((width - 48) / w, (height - 48) / h);
    if (zoom > bestZoom + 1e-9) [best, bestZoom] = [columns, zoom];
  }
  return best;
}

/**
 * Positions of the banded view: closed bands in a grid of `columns` per row in wave order; an
 * open band takes full rows of its own, its header first and its waves below in rows as wide as
 * the grid, each wave a column (its header, then its tables when open).
 */
export function bandLayout(graph: BandedGraph, columns: number): Map<string, Point> {
  const out = new Map<string, Point>();
  const gridWidth = columns * (BAND_WIDTH + BAND_GAP_X) - BAND_GAP_X;
  const wavesPerRow = Math.max(1, Math.floor((gridWidth + WAVE_GAP_X) / (NODE_WIDTH + WAVE_GAP_X)));
  const byBand = new Map<number, BandNode[]>();
  for (const n of graph.nodes) {
    const list = byBand.get(n.band);
    if (list) list.push(n);
    else byBand.set(n.band, [n]);
  }
  let y = 0;
  let column = 0;
  const endRow = () => {
    if (column > 0) y += BAND_HEIGHT + BAND_GAP_Y;
    column = 0;
  };
  for (const b of graph.bands) {
    const members = byBand.get(b.index) ?? [];
    const card = members.find((n) => n.level === "band" || n.level === "band-open");
    if (!card) continue;
    if (card.level === "band") {
      out.set(card.id, { x: column * (BAND_WIDTH + BAND_GAP_X), y });
      column += 1;
      if (column === columns) endRow();
      continue;
    }
    endRow();
    out.set(card.id, { x: 0, y });
    y += BAND_HEIGHT + ITEM_GAP_Y;
    // Each wave's column: its card, then its tables when open.
    const waveColumns: BandNode[][] = [];
    for (const n of members) {
      if (n.level === "wave" || n.level === "wave-open") waveColumns.push([n]);
      else if (n.level === "item") waveColumns[waveColumns.length - 1]?.push(n);
    }
    for (let start = 0; start < waveColumns.length; start += wavesPerRow) {
      const row = waveColumns.slice(start, start + wavesPerRow);
      row.forEach((col, i) => col.forEach((n, j) => out.set(n.id, { x: i * (NODE_WIDTH + WAVE_GAP_X), y: y + j * (NODE_HEIGHT + ITEM_GAP_Y) })));
      y += Math.max(...row.map((c) => c.length)) * (NODE_HEIGHT + ITEM_GAP_Y) + ITEM_GAP_Y;
    }
    y += BAND_GAP_Y;
  }
  return out;
}

/** The view the banded overview opens on: every card in view at the largest zoom up to 1, the grid centred across and at the top. */
export function bandViewport(graph: BandedGraph, positions: Map<string, Point>, width: number, height: number, padding = 24): Viewport {
  let [maxX, maxY] = [0, 0];
  for (const n of graph.nodes) {
    const p = positions.get(n.id);
    if (!p) continue;
    const size = bandNodeSize(n);
    maxX = Math.max(maxX, p.x + size.width);
    maxY = Math.max(maxY, p.y + size.height);
  }
  if (maxX === 0) return { x: 0, y: 0, zoom: 1 };
  const roomW = Math.max(width - 2 * padding, 1);
  const zoom = Math.min(1, roomW / maxX, (height - 2 * padding) / maxY);
  return { x: (width - maxX * zoom) / 2, y: padding, zoom };
}
