/**
 * What the graph view draws: the engine's nodes and edges, optionally collapsed into groups
 * (by wave, schema, system, kind or owner) so thousands of artifacts stay usable, with
 * aggregated edges between groups. Pure and unit-tested; the layout is in `layout.ts`.
 *
 * Edges are drawn from the dependency to the dependent (the engine's `to` → `from`), so waves
 * read left to right in migration order.
 */
import type { EdgeView, GraphView, NodeView } from "../bindings";

export type GroupBy = "none" | "wave" | "schema" | "system" | "kind" | "owner";

/** Above this many artifacts the view starts grouped by wave. */
export const AUTO_GROUP_THRESHOLD = 300;

export interface VisNode {
  id: string;
  label: string;
  kind: string;
  wave: number;
  /** A collapsed group rather than one artifact. */
  group: boolean;
  /** Artifacts represented (1 for an artifact). */
  count: number;
  /** Member ids of a group. */
  members: string[];
  /** The artifact, or a group member, is in a dependency cycle. */
  inCycle: boolean;
}

/** One artifact drawn as itself. */
export function itemNode(n: NodeView, inCycle: ReadonlySet<string>): VisNode {
  return {
    id: n.id,
    label: n.name,
    kind: n.kind,
    wave: n.wave,
    group: false,
    count: 1,
    members: [n.id],
    inCycle: inCycle.has(n.id),
  };
}

export interface VisEdge {
  id: string;
  /** Dependency (drawn first). */
  source: string;
  /** Dependent. */
  target: string;
  /** Engine edges represented. */
  count: number;
  /** Every represented edge is deferred to break a cycle. */
  deferred: boolean;
  label: string | null;
}

export interface VisibleGraph {
  nodes: VisNode[];
  edges: VisEdge[];
}

export function groupKey(n: NodeView, by: GroupBy): string {
  switch (by) {
    case "none":
      return n.id;
    case "wave":
      return `wave ${n.wave}`;
    case "schema":
      return n.schema ?? "(no schema)";
    case "system":
      return n.system ?? "(no system)";
    case "kind":
      return n.kind;
    case "owner":
      return n.owner ?? "(no owner)";
  }
}

export function groupId(key: string): string {
  return `group:${key}`;
}

/** Ids of artifacts that are in a cycle. */
export function cycleMembers(view: GraphView): Set<string> {
  const s = new Set<string>();
  for (const c of view.cycles) for (const m of c.members) s.add(m);
  return s;
}

export function visibleGraph(view: GraphView, by: GroupBy, expanded: ReadonlySet<string>): VisibleGraph {
  const inCycle = cycleMembers(view);
  const repr = new Map<string, string>();
  const groups = new Map<string, VisNode>();
  const nodes: VisNode[] = [];
  for (const n of view.nodes) {
    const key = groupKey(n, by);
    if (by === "none" || expanded.has(key)) {
      repr.set(n.id, n.id);
      nodes.push(itemNode(n, inCycle));
      continue;
    }
    const id = groupId(key);
    repr.set(n.id, id);
    let g = groups.get(id);
    if (!g) {
      g = { id, label: key, kind: "group", wave: n.wave, group: true, count: 0, members: [], inCycle: false };
      groups.set(id, g);
      nodes.push(g);
    }
    g.count += 1;
    g.members.push(n.id);
    g.wave = Math.min(g.wave, n.wave);
    g.inCycle ||= inCycle.has(n.id);
  }
  const edges = new Map<string, VisEdge>();
  for (const e of view.edges) {
    const source = repr.get(e.to);
    const target = repr.get(e.from);
    if (source === undefined || target === undefined || source === target) continue;
    const id = `${source}->${target}`;
    const existing = edges.get(id);
    if (existing) {
      existing.count += 1;
      existing.deferred &&= e.deferred;
      existing.label = null;
    } else {
      edges.set(id, { id, source, target, count: 1, deferred: e.deferred, label: edgeLabel(e) });
    }
  }
  return { nodes, edges: [...edges.values()] };
}

function edgeLabel(e: EdgeView): string | null {
  return e.deferred ? `break: ${e.label ?? e.kind}` : null;
}

/** The default grouping: none for small graphs, by wave for large ones. */
export function defaultGroupBy(view: GraphView): GroupBy {
  return view.nodes.length > AUTO_GROUP_THRESHOLD ? "wave" : "none";
}

const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488"];

/** A distinct colour per wave (cycling after ten). */
export function waveColor(wave: number): string {
  return PALETTE[(Math.max(wave, 1) - 1) % PALETTE.length] ?? "#64748b";
}

export interface Point {
  x: number;
  y: number;
}

/** Every node's box in graph units (px at zoom 1): given to the layout and to React Flow, so the
 * minimap and off-screen culling know node sizes without measuring the DOM. */
export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 52;

/**
 * A linear-time layout for large graphs: one column per wave, nodes stacked in id order.
 * Used when the layered (ELK) layout would take too long.
 */
export function columnLayout(nodes: readonly VisNode[]): Map<string, Point> {
  const perWave = new Map<number, number>();
  const out = new Map<string, Point>();
  const sorted = [...nodes].sort((a, b) => a.wave - b.wave || a.id.localeCompare(b.id));
  for (const n of sorted) {
    const row = perWave.get(n.wave) ?? 0;
    perWave.set(n.wave, row + 1);
    out.set(n.id, { x: (n.wave - 1) * (NODE_WIDTH + 80), y: row * (NODE_HEIGHT + 16) });
  }
  return out;
}

/** Which visible nodes to highlight for a blast radius: those representing an affected id. */
export function blastHighlight(graph: VisibleGraph, affected: readonly string[]): Set<string> {
  const hit = new Set(affected);
  const out = new Set<string>();
  for (const n of graph.nodes) if (n.members.some((m) => hit.has(m))) out.add(n.id);
  return out;
}

/** The lowest zoom at which node names (15 px) stay readable (drawn at 9 px or more). */
export const READABLE_ZOOM = 0.6;

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The view the graph opens on, for a canvas of `width` × `height` px: the whole graph when it
 * fits at a readable zoom (centred, never above 1); otherwise the readable zoom, and along each
 * axis the whole graph centred if it fits that way, else its start: the left edge, where both
 * layouts put the artifacts nothing depends on before their dependents, and vertically the first
 * column centred as far as the graph reaches. A graph too big to read whole opens on its start
 * rather than as specks; the minimap and the fit-view control give the overview. React Flow's
 * viewport: a screen point is `graph point × zoom + (x, y)`.
 */
export function openingViewport(positions: Iterable<Point>, width: number, height: number, padding = 24): Viewport {
  const points = [...positions];
  if (points.length === 0) return { x: 0, y: 0, zoom: 1 };
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_WIDTH);
    maxY = Math.max(maxY, p.y + NODE_HEIGHT);
  }
  const [w, h] = [maxX - minX, maxY - minY];
  const [roomW, roomH] = [Math.max(width - 2 * padding, 1), Math.max(height - 2 * padding, 1)];
  const zoom = Math.max(Math.min(roomW / w, roomH / h, 1), READABLE_ZOOM);
  const centred = (size: number, room: number, min: number) => (room + 2 * padding - size * zoom) / 2 - min * zoom;
  const x = w * zoom <= roomW ? centred(w, roomW, minX) : padding - minX * zoom;
  if (h * zoom <= roomH) return { x, y: centred(h, roomH, minY), zoom };
  let [firstTop, firstBottom] = [Infinity, -Infinity];
  for (const p of points) {
    if (p.x >= minX + NODE_WIDTH) continue;
    firstTop = Math.min(firstTop, p.y);
    firstBottom = Math.max(firstBottom, p.y + NODE_HEIGHT);
  }
  const wanted = height / 2 - ((firstTop + firstBottom) / 2) * zoom;
  return { x, y: Math.min(padding - minY * zoom, Math.max(height - padding - maxY * zoom, wanted)), zoom };
}
