/** Layered layout with ELK (Eclipse Layout Kernel) for graphs small enough to lay out quickly. */
import type ElkConstructor from "elkjs/lib/elk.bundled.js";
import { columnLayout, NODE_HEIGHT, NODE_WIDTH, type Point, type VisibleGraph } from "./graphModel";

/** Above this many visible nodes the column layout is used instead. */
export const ELK_MAX_NODES = 400;

type Elk = InstanceType<typeof ElkConstructor>;
let elk: Promise<Elk> | null = null;

/**
 * ELK is ~1.4 MB of compiled Java: fetched and parsed the first time a graph small enough for
 * it is laid out, so the window's idle memory does not carry it (issue 5's < 200 MB target).
 */
function loadElk(): Promise<Elk> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((m) => new m.default());
  return elk;
}

export async function layoutGraph(graph: VisibleGraph): Promise<Map<string, Point>> {
  if (graph.nodes.length > ELK_MAX_NODES) return columnLayout(graph.nodes);
  const result = await (await loadElk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "18",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out = new Map<string, Point>();
  for (const c of result.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return out;
}
