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
 * minimap and off-screen culling know node sizes without measuring the DOM. Room for a name on two
 * lines of NAME_PX and a line of kind and wave (Graph.css). */
export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 64;

/** The size node names are drawn at, px at zoom 1 (Graph.css `.gnode-name`). */
export const NAME_PX = 17;

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

/** The lowest zoom at which node names stay readable: drawn at 9 px or more. */
export const READABLE_ZOOM = 9 / NAME_PX;

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
  const b = bounds(points);
  if (!b) return { x: 0, y: 0, zoom: 1 };
  const { minX, minY, w, h } = b;
  const maxY = minY + h;
  const [roomW, roomH] = [Math.max(width - 2 * padding, 1), Math.max(height - 2 * padding, 1)];
  const zoom = Math.max(Math.min(wholeZoom(b, width, height, padding), 1), READABLE_ZOOM);
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

/** The bounding box of nodes placed at `positions` (each NODE_WIDTH × NODE_HEIGHT), or null for none. */
function bounds(points: readonly Point[]): { minX: number; minY: number; w: number; h: number } | null {
  if (points.length === 0) return null;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_WIDTH);
    maxY = Math.max(maxY, p.y + NODE_HEIGHT);
  }
  return { minX, minY, w: maxX - minX, h: maxY - minY };
}

/** The zoom at which a bounding box `b` just fits a canvas of `width` × `height` px less `padding` each side. */
function wholeZoom(b: { w: number; h: number }, width: number, height: number, padding: number): number {
  return Math.min(Math.max(width - 2 * padding, 1) / b.w, Math.max(height - 2 * padding, 1) / b.h);
}

/** Whether every node at `positions` fits a canvas of `width` × `height` px (less `padding` each
 * side) at a readable zoom: the opening view then shows the whole graph with every name readable. */
export function readableWhole(positions: Iterable<Point>, width: number, height: number, padding = 24): boolean {
  const b = bounds([...positions]);
  if (!b) return true;
  return wholeZoom(b, width, height, padding) >= READABLE_ZOOM;
}

/** A wave's column heading: where it is drawn (graph units, above the column's first node). */
export interface WaveHeader {
  wave: number;
  position: Point;
}

/** How far above the graph's top the wave headings sit, graph units. */
export const HEADER_GAP = 34;

/**
 * One heading per wave over its column, for a layout whose columns are waves (layout.ts lays the
 * ungrouped graph and the grouping by wave out so): at the leftmost x of the wave's nodes, all on
 * one line above the graph. Empty when nothing is placed.
 */
export function waveHeaders(nodes: readonly VisNode[], positions: ReadonlyMap<string, Point>): WaveHeader[] {
  const left = new Map<number, number>();
  let top = Infinity;
  for (const n of nodes) {
    const p = positions.get(n.id);
    if (!p) continue;
    left.set(n.wave, Math.min(left.get(n.wave) ?? Infinity, p.x));
    top = Math.min(top, p.y);
  }
  return [...left].sort(([a], [b]) => a - b).map(([wave, x]) => ({ wave, position: { x, y: top - HEADER_GAP } }));
}

/**
 * An SVG path through an edge's route (its first point on the dependency, its last on the
 * dependent) with each bend rounded by up to `radius`, and the point its label goes at (the middle
 * of the route's middle segment). Routes are ELK's orthogonal ones: straight segments, right angles.
 */
export function routePath(route: readonly Point[], radius = 8): { path: string; label: Point } {
  const first = route[0] ?? { x: 0, y: 0 };
  let path = `M ${first.x} ${first.y}`;
  for (let i = 1; i < route.length; i++) {
    const p = route[i] as Point;
    const next = route[i + 1];
    if (!next) {
      path += ` L ${p.x} ${p.y}`;
      break;
    }
    const prev = route[i - 1] as Point;
    // A bend: stop short of the corner, then curve around it (no more than half of either segment).
    const r = Math.min(radius, Math.hypot(p.x - prev.x, p.y - prev.y) / 2, Math.hypot(next.x - p.x, next.y - p.y) / 2);
    const towards = (from: Point, to: Point, d: number) => {
      const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
      return { x: from.x + ((to.x - from.x) * d) / len, y: from.y + ((to.y - from.y) * d) / len };
    };
    const a = towards(p, prev, r);
    const b = towards(p, next, r);
    path += ` L ${a.x} ${a.y} Q ${p.x} ${p.y} ${b.x} ${b.y}`;
  }
  const mid = Math.max(0, Math.floor((route.length - 2) / 2));
  const [s, e] = [route[mid] ?? first, route[mid + 1] ?? first];
  return { path, label: { x: (s.x + e.x) / 2, y: (s.y + e.y) / 2 } };
}

/** The qualifier every artifact's name starts with (`sakila` of `sakila.rental`), when they all
 * share one: node names then leave it out. Null when a name has none or two differ. */
export function commonSchema(view: GraphView): string | null {
  const qualifier = (name: string) => (name.includes(".") ? name.slice(0, name.indexOf(".")) : null);
  const first = view.nodes[0] ? qualifier(view.nodes[0].name) : null;
  return first !== null && view.nodes.every((n) => qualifier(n.name) === first) ? first : null;
}

/** A node's name as drawn: without the graph's one schema (`sakila.rental` → `rental`). */
export function shortName(name: string, schema: string | null): string {
  return schema !== null && name.startsWith(`${schema}.`) ? name.slice(schema.length + 1) : name;
}
