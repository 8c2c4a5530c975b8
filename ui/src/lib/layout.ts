/**
 * Layered layout with ELK (Eclipse Layout Kernel) for graphs small enough to lay out quickly.
 *
 * ELK is ~1.6 MB of compiled Java whose heap grows with each layout (kieler/elkjs#148 reports
 * arrays kept across `layout` calls). It runs in a Web Worker made for a burst of layouts (the
 * opening one and the regroupings a person makes in a row) and terminated after it, so neither
 * its code nor its heap stays in the page while the graph is not being laid out (issue 19's
 * memory targets); it used to live on the page's thread for the app's lifetime. A worker kept for
 * the session is worse: its heap grew by some 250 MiB in 10 minutes of regroupings.
 *
 * But every worker started costs for good: WebKitGTK 2.50's web process keeps 70–90 KiB of each
 * one terminated (measured with the soak, BENCHMARKS.md "The graph screen's growth is its layout
 * workers"; WebKit has fixed such leaks upstream since, e.g. bug 313389). So ELK's answers to
 * the last few graphs are remembered: a view laid out before is drawn again without a worker,
 * and going back to the graph screen costs nothing.
 */
import ELK from "elkjs/lib/elk-api.js";
import type { ELK as Elk, ElkNode } from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import { columnLayout, NODE_HEIGHT, NODE_WIDTH, type Point, type VisibleGraph } from "./graphModel";

/** A laid-out graph: each node's top-left corner, and each edge's route where the layout drew one
 * (graph units; React Flow draws an edge without a route as a curve between the nodes' sides). */
export interface LaidOut {
  positions: Map<string, Point>;
  /** Edge id → the route's points, first on the dependency's right side, last on the dependent's left. */
  routes: Map<string, Point[]>;
  /** The layout was remembered from an earlier one of the same graph (no worker was started). */
  reused?: boolean;
}

/** Above this many visible nodes the column layout is used instead. */
export const ELK_MAX_NODES = 400;

/** How long a worker outlives its last layout: the next regrouping within it reuses the worker
 * (starting one parses ELK again); after it, ELK's heap goes with the worker. */
export const WORKER_IDLE_MS = 2000;

/** How many of ELK's answers are remembered (the most recently used): enough for the groupings
 * of a graph and a few expanded groups, going back and forth between them. */
export const LAYOUTS_REMEMBERED = 8;

/** What the layout needs of a worker: a DOM `Worker`, or a stand-in under test (Node has none). */
export interface LayoutWorker {
  onmessage: ((ev: MessageEvent) => unknown) | null;
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: "error", listener: (e: Event) => void): void;
}

/**
 * ELK's input for a visible graph: layered, left to right, edges routed orthogonally. When
 * `byWave`, each node's wave is its partition, so every column holds one wave and the waves run
 * in order (ELK's `partitioning`: a partition's nodes are in layers after every lower partition's);
 * groupings that mix waves in a node (schema, owner…) are laid out by their edges alone.
 */
export function elkGraph(graph: VisibleGraph, byWave = true): ElkNode {
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.edgeRouting": "ORTHOGONAL",
      // Compact enough for Sakila's 8 waves to read whole at 1280 px (the e2e checks): edges
      // leaving one node share their first stretch, node placement by network simplex (shorter
      // edges, a third of Brandes-Köpf's height here), little room between parallel edges.
      "elk.layered.mergeEdges": "true",
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
      "elk.layered.spacing.nodeNodeBetweenLayers": "40",
      "elk.layered.spacing.edgeEdgeBetweenLayers": "4",
      "elk.layered.spacing.edgeNodeBetweenLayers": "8",
      "elk.spacing.nodeNode": "16",
      "elk.spacing.edgeEdge": "6",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.partitioning.activate": String(byWave),
    },
    children: graph.nodes.map((n) => ({
      id: n.id,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      layoutOptions: byWave ? { "elk.partitioning.partition": String(n.wave) } : undefined,
    })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
}

/** The node positions and edge routes of ELK's answer (both relative to the root, as the
 * nodes and edges are all its children). */
export function laidOut(answer: ElkNode): LaidOut {
  const positions = new Map<string, Point>();
  for (const c of answer.children ?? []) positions.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  const routes = new Map<string, Point[]>();
  for (const e of answer.edges ?? []) {
    const s = e.sections?.[0];
    // One section per edge: every edge here joins two nodes of one graph (no hyperedges, no ports).
    if (s && e.sections?.length === 1) routes.set(e.id, [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map(({ x, y }) => ({ x, y })));
  }
  return { positions, routes };
}

interface Running {
  elk: Elk;
  worker: LayoutWorker;
  /** Layouts asked of this worker and not answered yet. */
  pending: number;
  idle: ReturnType<typeof setTimeout> | undefined;
  /** Rejected when the worker ends (terminated, or failed): its unanswered layouts fail with it. */
  ended: Promise<never>;
  end: (why: Error) => void;
}

/**
 * ELK in a worker started on demand: layouts that overlap or follow each other within `idleMs`
 * share one worker, which is terminated `idleMs` after the last one is answered, or at once by
 * `stop` (the graph screen closing). The answers to the last `remembered` graphs are kept, by
 * the graph's JSON: asking for one of them again starts no worker.
 */
export class ElkOnDemand {
  private running: Running | null = null;
  /** ELK's answers by their graph's JSON, least recently used first. */
  private readonly answers = new Map<string, ElkNode>();
  /** Workers started so far (for the tests and the curious). */
  started = 0;

  constructor(
    private readonly startWorker: () => LayoutWorker,
    private readonly idleMs = WORKER_IDLE_MS,
    private readonly remembered = LAYOUTS_REMEMBERED,
  ) {}

  /** Whether a worker is alive now. */
  get alive(): boolean {
    return this.running !== null;
  }

  /** ELK's answer to `graph`, and whether it was remembered. The answer is the one remembered:
   * read it, do not change it (`laidOut` copies what it takes). Rejected when the worker fails or
   * is stopped meanwhile. */
  async layout(graph: ElkNode): Promise<{ answer: ElkNode; reused: boolean }> {
    const key = JSON.stringify(graph);
    const known = this.answers.get(key);
    if (known) {
      this.remember(key, known);
      return { answer: known, reused: true };
    }
    const run = (this.running ??= this.start());
    clearTimeout(run.idle);
    run.idle = undefined;
    run.pending += 1;
    try {
      const answer = await Promise.race([run.elk.layout(graph), run.ended]);
      this.remember(key, answer);
      return { answer, reused: false };
    } finally {
      run.pending -= 1;
      if (run.pending === 0 && this.running === run) run.idle = setTimeout(() => this.end(run, new Error("idle")), this.idleMs);
    }
  }

  /** Keeps `answer` as the most recently used, forgetting the least recently used beyond `remembered`. */
  private remember(key: string, answer: ElkNode): void {
    this.answers.delete(key);
    this.answers.set(key, answer);
    for (const oldest of this.answers.keys()) {
      if (this.answers.size <= this.remembered) break;
      this.answers.delete(oldest);
    }
  }

  /** Terminates the worker now; its unanswered layouts are rejected. */
  stop(): void {
    if (this.running) this.end(this.running, new Error("the layout was stopped"));
  }

  private end(run: Running, why: Error): void {
    if (this.running === run) this.running = null;
    clearTimeout(run.idle);
    run.end(why);
    run.worker.terminate();
  }

  private start(): Running {
    const worker = this.startWorker();
    this.started += 1;
    let end: (why: Error) => void = () => {};
    const ended = new Promise<never>((_, reject) => (end = reject));
    // Nobody may be waiting when it ends (between bursts): that is not an unhandled rejection.
    ended.catch(() => {});
    // Only the layered algorithm is registered: the worker sets up and holds less.
    const elk = new ELK({ workerFactory: () => worker as Worker, algorithms: ["layered"] });
    const run: Running = { elk, worker, pending: 0, idle: undefined, ended, end };
    // A worker that fails to load or throws outside a layout never answers: fail its layouts
    // instead of leaving them (and the graph screen's "laying out…") waiting forever.
    worker.addEventListener("error", (e) => {
      const message = (e as Partial<ErrorEvent>).message;
      this.end(run, new Error(`the layout worker failed${message ? `: ${message}` : ""}`));
    });
    return run;
  }
}

const elk = new ElkOnDemand(() => new Worker(elkWorkerUrl, { name: "elk-layout" }));

/** Lays out `graph` with `engine` (ELK in a worker), or in columns when it is too large for ELK. */
export async function layoutWith(engine: ElkOnDemand, graph: VisibleGraph, byWave = true): Promise<LaidOut> {
  if (graph.nodes.length > ELK_MAX_NODES) return { positions: columnLayout(graph.nodes), routes: new Map() };
  const { answer, reused } = await engine.layout(elkGraph(graph, byWave));
  return { ...laidOut(answer), reused };
}

export function layoutGraph(graph: VisibleGraph, byWave = true): Promise<LaidOut> {
  return layoutWith(elk, graph, byWave);
}

/** Ends the layout worker now (the graph screen closed): what it was doing is not wanted any more. */
export function stopLayouts(): void {
  elk.stop();
}
