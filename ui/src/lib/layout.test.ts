import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import ElkBundled from "elkjs/lib/elk.bundled.js";
import type { GraphView } from "../bindings";
import { node } from "./fixtures";
import { NODE_HEIGHT, NODE_WIDTH, visibleGraph, type VisibleGraph } from "./graphModel";
import { ELK_MAX_NODES, ElkOnDemand, LAYOUTS_REMEMBERED, elkGraph, laidOut, layoutWith, type LayoutWorker } from "./layout";

/** ELK's worker script run in this thread: what the app's worker runs, answering by messages. */
interface ElkScript {
  onmessage: (m: { data: unknown }) => void;
  postMessage(m: unknown): void;
}
const { Worker: ElkScriptWorker } = createRequire(import.meta.url)("elkjs/lib/elk-worker.min.js") as { Worker: new () => ElkScript };

/** A stand-in for the DOM's Worker (Node has none) around ELK's worker script. */
class TestWorker extends EventTarget implements LayoutWorker {
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  terminated = false;
  private readonly script = new ElkScriptWorker();

  constructor() {
    super();
    this.script.onmessage = (m) => {
      if (!this.terminated) this.onmessage?.(new MessageEvent("message", { data: structuredClone(m.data) }));
    };
  }

  postMessage(message: unknown): void {
    if (!this.terminated) this.script.postMessage(structuredClone(message));
  }

  terminate(): void {
    this.terminated = true;
  }
}

/** An engine whose workers are test stand-ins; `remembered` answers are kept (none: every
 * layout is ELK's). */
function engine(idleMs = 30, remembered = 0): { elk: ElkOnDemand; workers: TestWorker[] } {
  const workers: TestWorker[] = [];
  const elk = new ElkOnDemand(
    () => {
      const w = new TestWorker();
      workers.push(w);
      return w;
    },
    idleMs,
    remembered,
  );
  return { elk, workers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Sakila-sized graph: 4 waves of tables, each depending on one or two of the wave before. */
function sakilaLike(): GraphView {
  const nodes = [];
  const edges = [];
  for (let w = 1; w <= 4; w++)
    for (let i = 0; i < 5; i++) {
      nodes.push(node(`table:w${w}t${i}`, w, { schema: i % 2 ? "s1" : "s2" }));
      if (w > 1) {
        edges.push({ from: `table:w${w}t${i}`, to: `table:w${w - 1}t${i}`, kind: "fk", label: null, deferred: false });
        if (i % 2) edges.push({ from: `table:w${w}t${i}`, to: `table:w${w - 1}t${(i + 2) % 5}`, kind: "fk", label: null, deferred: false });
      }
    }
  return { nodes, edges, waves: 4, cycles: [], ponr: null };
}

const graphOf = (by: "none" | "schema") => visibleGraph(sakilaLike(), by, new Set());

/** The layout the app computed before the worker: one ELK on the page's thread. */
async function onThePage(g: VisibleGraph) {
  return laidOut(await new ElkBundled().layout(elkGraph(g)));
}

describe("layout in a worker", () => {
  it("places every node as ELK on the page did, one column per wave, in wave order", async () => {
    const { elk } = engine();
    const g = graphOf("none");
    const got = await layoutWith(elk, g);
    expect(got.positions.size).toBe(20);
    expect({ positions: got.positions, routes: got.routes }).toEqual(await onThePage(g));
    const columns = new Map<number, Set<number>>();
    for (const n of g.nodes) {
      const x = got.positions.get(n.id)?.x ?? NaN;
      columns.set(n.wave, (columns.get(n.wave) ?? new Set()).add(x));
    }
    const xs = [1, 2, 3, 4].map((w) => [...(columns.get(w) ?? [])]);
    for (const col of xs) expect(col).toHaveLength(1);
    for (let w = 1; w < 4; w++) expect(xs[w]?.[0]).toBeGreaterThan((xs[w - 1]?.[0] ?? Infinity) + NODE_WIDTH);
    elk.stop();
  });

  it("routes every edge from the dependency's right side to the dependent's left side", async () => {
    const { elk } = engine();
    const g = graphOf("none");
    const { positions, routes } = await layoutWith(elk, g);
    expect(routes.size).toBe(g.edges.length);
    for (const e of g.edges) {
      const route = routes.get(e.id) ?? [];
      const [from, to] = [positions.get(e.source), positions.get(e.target)];
      const [start, end] = [route[0], route[route.length - 1]];
      expect(start?.x).toBeCloseTo((from?.x ?? NaN) + NODE_WIDTH);
      expect(start?.y).toBeGreaterThanOrEqual(from?.y ?? NaN);
      expect(start?.y).toBeLessThanOrEqual((from?.y ?? NaN) + NODE_HEIGHT);
      expect(end?.x).toBeCloseTo(to?.x ?? NaN);
      // Orthogonal: every segment is horizontal or vertical.
      for (let i = 1; i < route.length; i++) {
        const [a, b] = [route[i - 1], route[i]];
        expect(Math.min(Math.abs((a?.x ?? 0) - (b?.x ?? 0)), Math.abs((a?.y ?? 0) - (b?.y ?? 0))), JSON.stringify(route)).toBeLessThan(0.001);
      }
    }
    elk.stop();
  });

  it("gives the same answer to the same graph in a used worker as in a fresh one", async () => {
    const { elk } = engine();
    const first = await layoutWith(elk, graphOf("none"));
    await layoutWith(elk, graphOf("schema"));
    expect(await layoutWith(elk, graphOf("none"))).toEqual(first);
    expect(elk.started).toBe(1);
    elk.stop();
  });

  it("draws a graph laid out before from memory, without starting a worker", async () => {
    const { elk, workers } = engine(30, LAYOUTS_REMEMBERED);
    const first = await layoutWith(elk, graphOf("none"));
    expect(first.reused).toBe(false);
    await sleep(100);
    expect(workers[0]?.terminated).toBe(true);
    const again = await layoutWith(elk, graphOf("none"));
    expect(again.reused).toBe(true);
    expect({ ...again, reused: false }).toEqual(first);
    expect(elk.started).toBe(1);
    expect(elk.alive).toBe(false);
    // What the caller gets is its own: changing it changes nothing remembered.
    again.positions.clear();
    expect((await layoutWith(elk, graphOf("none"))).positions).toEqual(first.positions);
  });

  it("remembers the most recently used layouts only", async () => {
    const { elk } = engine(30, 2);
    const none = graphOf("none");
    const schema = graphOf("schema");
    const wave = visibleGraph(sakilaLike(), "wave", new Set());
    await layoutWith(elk, none);
    await layoutWith(elk, schema);
    expect((await layoutWith(elk, none)).reused).toBe(true);
    // A third graph pushes out the least recently used one: schema, not none.
    await layoutWith(elk, wave);
    expect((await layoutWith(elk, none)).reused).toBe(true);
    expect((await layoutWith(elk, schema)).reused).toBe(false);
    elk.stop();
  });

  it("shares one worker between overlapping and back-to-back layouts, and ends it when idle", async () => {
    const { elk, workers } = engine(30);
    await Promise.all([layoutWith(elk, graphOf("none")), layoutWith(elk, graphOf("schema"))]);
    await layoutWith(elk, graphOf("none"));
    expect(elk.started).toBe(1);
    expect(elk.alive).toBe(true);
    await sleep(100);
    expect(elk.alive).toBe(false);
    expect(workers[0]?.terminated).toBe(true);
    // The next layout starts a worker of its own.
    await layoutWith(elk, graphOf("none"));
    expect(elk.started).toBe(2);
    expect(workers[1]?.terminated).toBe(false);
    elk.stop();
    expect(workers[1]?.terminated).toBe(true);
  });

  it("stopping rejects the layouts still running and terminates the worker", async () => {
    const { elk, workers } = engine();
    const running = layoutWith(elk, graphOf("none"));
    elk.stop();
    await expect(running).rejects.toThrow("stopped");
    expect(workers[0]?.terminated).toBe(true);
    expect(elk.alive).toBe(false);
  });

  it("a worker that fails fails its layouts instead of leaving them waiting, and is replaced", async () => {
    const { elk, workers } = engine();
    const running = layoutWith(elk, graphOf("none"));
    workers[0]?.dispatchEvent(Object.assign(new Event("error"), { message: "script not found" }));
    await expect(running).rejects.toThrow("the layout worker failed: script not found");
    expect(workers[0]?.terminated).toBe(true);
    expect((await layoutWith(elk, graphOf("none"))).positions.size).toBe(20);
    expect(elk.started).toBe(2);
    elk.stop();
  });

  it("lays a graph too large for ELK out in columns without starting a worker", async () => {
    const { elk } = engine();
    const big: GraphView = { nodes: Array.from({ length: ELK_MAX_NODES + 1 }, (_, i) => node(`table:t${i}`, 1 + (i % 3))), edges: [], waves: 3, cycles: [], ponr: null };
    expect((await layoutWith(elk, visibleGraph(big, "none", new Set()))).positions.size).toBe(ELK_MAX_NODES + 1);
    expect(elk.started).toBe(0);
  });
});
