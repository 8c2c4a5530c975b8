/**
 * Layered layout with ELK (Eclipse Layout Kernel) for graphs small enough to lay out quickly.
 *
 * ELK is ~1.6 MB of compiled Java whose heap grows with each layout (kieler/elkjs#148 reports
 * arrays kept across `layout` calls). It runs in a Web Worker made for a burst of layouts (the
 * opening one and the regroupings a person makes in a row) and terminated after it, so neither
 * its code nor its heap stays in the page while the graph is not being laid out (issue 19's
 * memory targets); it used to live on the page's thread for the app's lifetime.
 */
import ELK from "elkjs/lib/elk-api.js";
import type { ELK as Elk, ElkNode } from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import { columnLayout, NODE_HEIGHT, NODE_WIDTH, type Point, type VisibleGraph } from "./graphModel";

/** Above this many visible nodes the column layout is used instead. */
export const ELK_MAX_NODES = 400;

/** How long a worker outlives its last layout: the next regrouping within it reuses the worker
 * (starting one parses ELK again); after it, ELK's heap goes with the worker. */
export const WORKER_IDLE_MS = 2000;

/** What the layout needs of a worker: a DOM `Worker`, or a stand-in under test (Node has none). */
export interface LayoutWorker {
  onmessage: ((ev: MessageEvent) => unknown) | null;
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: "error", listener: (e: Event) => void): void;
}

/** ELK's input for a visible graph: the options are the layout's look (waves as columns, left to right). */
export function elkGraph(graph: VisibleGraph): ElkNode {
  return {
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
  };
}

/** The node positions of ELK's answer. */
export function positions(laidOut: ElkNode): Map<string, Point> {
  const out = new Map<string, Point>();
  for (const c of laidOut.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return out;
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
 * `stop` (the graph screen closing).
 */
export class ElkOnDemand {
  private running: Running | null = null;
  /** Workers started so far (for the tests and the curious). */
  started = 0;

  constructor(
    private readonly startWorker: () => LayoutWorker,
    private readonly idleMs = WORKER_IDLE_MS,
  ) {}

  /** Whether a worker is alive now. */
  get alive(): boolean {
    return this.running !== null;
  }

  async layout(graph: ElkNode): Promise<ElkNode> {
    const run = (this.running ??= this.start());
    clearTimeout(run.idle);
    run.idle = undefined;
    run.pending += 1;
    try {
      return await Promise.race([run.elk.layout(graph), run.ended]);
    } finally {
      run.pending -= 1;
      if (run.pending === 0 && this.running === run) run.idle = setTimeout(() => this.end(run, new Error("idle")), this.idleMs);
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
export async function layoutWith(engine: ElkOnDemand, graph: VisibleGraph): Promise<Map<string, Point>> {
  if (graph.nodes.length > ELK_MAX_NODES) return columnLayout(graph.nodes);
  return positions(await engine.layout(elkGraph(graph)));
}

export function layoutGraph(graph: VisibleGraph): Promise<Map<string, Point>> {
  return layoutWith(elk, graph);
}

/** Ends the layout worker now (the graph screen closed): what it was doing is not wanted any more. */
export function stopLayouts(): void {
  elk.stop();
}
