import { describe, expect, it } from "vitest";
import {
  AUTO_GROUP_THRESHOLD,
  blastHighlight,
  columnLayout,
  defaultGroupBy,
  NODE_HEIGHT,
  NODE_WIDTH,
  commonSchema,
  HEADER_GAP,
  openingViewport,
  READABLE_ZOOM,
  readableWhole,
  routePath,
  shortName,
  visibleGraph,
  waveColor,
  waveHeaders,
  type Point,
} from "./graphModel";
import { node, smallGraph } from "./fixtures";

describe("graph model", () => {
  it("draws edges from dependency to dependent and keeps deferred breaks", () => {
    const g = visibleGraph(smallGraph(), "none", new Set());
    expect(g.nodes).toHaveLength(5);
    const ab = g.edges.find((e) => e.id === "table:a->table:b");
    expect(ab).toMatchObject({ source: "table:a", target: "table:b", deferred: false, label: null });
    const brk = g.edges.find((e) => e.deferred);
    expect(brk).toMatchObject({ source: "table:y", target: "table:x", label: "break: x_y" });
    expect(g.nodes.filter((n) => n.inCycle).map((n) => n.id)).toEqual(["table:x", "table:y"]);
  });

  it("collapses groups, aggregates edges, drops edges inside a group, expands on demand", () => {
    const g = visibleGraph(smallGraph(), "schema", new Set());
    expect(g.nodes.map((n) => [n.id, n.count])).toEqual([
      ["group:s1", 2],
      ["group:s2", 3],
    ]);
    expect(g.edges).toEqual([
      { id: "group:s1->group:s2", source: "group:s1", target: "group:s2", count: 1, deferred: false, label: null },
    ]);
    expect(g.nodes.find((n) => n.id === "group:s2")?.inCycle).toBe(true);
    const open = visibleGraph(smallGraph(), "schema", new Set(["s1"]));
    expect(open.nodes.map((n) => n.id)).toEqual(["table:a", "table:b", "group:s2"]);
    expect(open.edges.map((e) => e.id).sort()).toEqual(["table:a->table:b", "table:b->group:s2"]);
  });

  it("groups large graphs by default and lays them out in wave columns", () => {
    const big = smallGraph();
    big.nodes = Array.from({ length: AUTO_GROUP_THRESHOLD + 1 }, (_, i) => node(`table:t${i}`, (i % 3) + 1));
    expect(defaultGroupBy(big)).toBe("wave");
    expect(defaultGroupBy(smallGraph())).toBe("none");
    const g = visibleGraph(big, "none", new Set());
    const pos = columnLayout(g.nodes);
    expect(pos.size).toBe(g.nodes.length);
    const xs = new Set([...pos.values()].map((p) => p.x));
    expect(xs.size).toBe(3);
  });

  it("highlights the groups holding an affected artifact", () => {
    const g = visibleGraph(smallGraph(), "schema", new Set(["s1"]));
    expect([...blastHighlight(g, ["table:b", "table:c"])].sort()).toEqual(["group:s2", "table:b"]);
  });

  it("gives each of ten waves its own colour", () => {
    const colours = new Set(Array.from({ length: 10 }, (_, i) => waveColor(i + 1)));
    expect(colours.size).toBe(10);
    expect(waveColor(11)).toBe(waveColor(1));
  });

  describe("opening viewport", () => {
    /** Where a graph point lands on screen under a viewport. */
    const onScreen = (p: Point, v: { x: number; y: number; zoom: number }) => ({ x: p.x * v.zoom + v.x, y: p.y * v.zoom + v.y });

    it("shows a graph that fits whole and centred, never magnified", () => {
      const v = openingViewport([{ x: 100, y: 50 }], 800, 600);
      expect(v.zoom).toBe(1);
      const topLeft = onScreen({ x: 100, y: 50 }, v);
      expect(topLeft.x).toBeCloseTo((800 - NODE_WIDTH) / 2);
      expect(topLeft.y).toBeCloseTo((600 - NODE_HEIGHT) / 2);
    });

    it("shrinks a graph to fit while its labels stay readable", () => {
      const v = openingViewport([{ x: 0, y: 0 }, { x: 1000, y: 0 }], 1000, 600);
      expect(v.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
      expect(v.zoom).toBeLessThan(1);
      expect(onScreen({ x: 1000 + NODE_WIDTH, y: 0 }, v).x).toBeLessThanOrEqual(1000);
      expect(onScreen({ x: 0, y: 0 }, v).x).toBeGreaterThanOrEqual(0);
    });

    it("opens a graph too wide to read whole on its first waves, at the readable zoom", () => {
      const waves = visibleGraph({ ...smallGraph(), nodes: Array.from({ length: 40 }, (_, i) => node(`table:t${i}`, i + 1)) }, "none", new Set());
      const wide = columnLayout(waves.nodes);
      const v = openingViewport(wide.values(), 700, 600);
      expect(v.zoom).toBe(READABLE_ZOOM);
      const first = onScreen(wide.get("table:t0") ?? { x: NaN, y: NaN }, v);
      expect(first.x).toBe(24);
      expect(first.y + (NODE_HEIGHT * v.zoom) / 2).toBeCloseTo(300);
    });

    it("centres the first column of a graph too tall, as far as the graph reaches", () => {
      // A first column at the bottom of a tall graph, and columns further right above it.
      const start = { x: 0, y: 5000 };
      const rest = Array.from({ length: 100 }, (_, i) => ({ x: 1000 + (i % 4) * 250, y: i * 60 }));
      const v = openingViewport([start, ...rest], 700, 600);
      expect(onScreen(start, v).x).toBe(24);
      expect(onScreen(start, v).y + (NODE_HEIGHT * v.zoom) / 2).toBeCloseTo(300);
      // At the top of the graph, the view stops at the graph's edge instead of centring.
      const top = openingViewport([{ x: 0, y: 0 }, ...rest], 700, 600);
      expect(onScreen({ x: 0, y: 0 }, top)).toEqual({ x: 24, y: 24 });
    });

    it("keeps a first column at the bottom of a tall graph in view, bottom edge at the canvas's", () => {
      const start = { x: 12, y: 9000 };
      const rest = Array.from({ length: 100 }, (_, i) => ({ x: 1000 + (i % 4) * 250, y: 12 + i * 60 }));
      const v = openingViewport([start, ...rest], 700, 600);
      expect(onScreen(start, v).x).toBeCloseTo(24);
      expect(onScreen({ x: 0, y: 9000 + NODE_HEIGHT }, v).y).toBeCloseTo(600 - 24);
    });

    it("centres a narrow, tall graph across, and its one column on the canvas's middle", () => {
      const column = Array.from({ length: 100 }, (_, i) => ({ x: 40, y: 30 + i * 60 }));
      const v = openingViewport(column, 700, 600);
      expect(v.zoom).toBe(READABLE_ZOOM);
      const top = onScreen({ x: 40, y: 30 }, v);
      expect(top.x + (NODE_WIDTH * v.zoom) / 2).toBeCloseTo(350);
      const middle = onScreen({ x: 40, y: (30 + 30 + 99 * 60 + NODE_HEIGHT) / 2 }, v);
      expect(middle.y).toBeCloseTo(300);
    });

    it("handles more positions than a call takes arguments", () => {
      const many = Array.from({ length: 200_000 }, (_, i) => ({ x: (i % 500) * 280, y: Math.floor(i / 500) * 60 }));
      expect(openingViewport(many, 700, 600).zoom).toBe(READABLE_ZOOM);
    });

    it("leaves an empty graph at the origin", () => {
      expect(openingViewport([], 700, 600)).toEqual({ x: 0, y: 0, zoom: 1 });
    });
  });

  describe("wave columns", () => {
    it("heads each wave's column at its leftmost node, one line above the graph", () => {
      const g = visibleGraph(smallGraph(), "none", new Set());
      const at: Record<string, Point> = { "table:a": { x: 0, y: 40 }, "table:x": { x: 0, y: 120 }, "table:b": { x: 250, y: 10 }, "table:y": { x: 260, y: 90 }, "table:c": { x: 500, y: 60 } };
      expect(waveHeaders(g.nodes, new Map(Object.entries(at)))).toEqual([
        { wave: 1, position: { x: 0, y: 10 - HEADER_GAP } },
        { wave: 2, position: { x: 250, y: 10 - HEADER_GAP } },
        { wave: 3, position: { x: 500, y: 10 - HEADER_GAP } },
      ]);
    });

    it("says whether the whole graph reads on a canvas", () => {
      const row = Array.from({ length: 8 }, (_, i) => ({ x: i * (NODE_WIDTH + 48), y: 0 }));
      const width = 8 * NODE_WIDTH + 7 * 48;
      expect(readableWhole(row, width * READABLE_ZOOM + 48 + 1, 400)).toBe(true);
      expect(readableWhole(row, width * READABLE_ZOOM + 48 - 1, 400)).toBe(false);
      expect(readableWhole([], 10, 10)).toBe(true);
    });

    it("draws a route through its points with rounded bends, the label on its middle segment", () => {
      const { path, label } = routePath([{ x: 0, y: 0 }, { x: 50, y: 0 }, { x: 50, y: 100 }, { x: 120, y: 100 }], 8);
      expect(path).toBe("M 0 0 L 42 0 Q 50 0 50 8 L 50 92 Q 50 100 58 100 L 120 100");
      expect(label).toEqual({ x: 50, y: 50 });
      expect(routePath([{ x: 0, y: 0 }, { x: 10, y: 0 }]).path).toBe("M 0 0 L 10 0");
    });

    it("leaves the one schema every name shares out of node names", () => {
      const g = smallGraph();
      g.nodes = g.nodes.map((n) => ({ ...n, name: `sakila.${n.name}` }));
      expect(commonSchema(g)).toBe("sakila");
      expect(shortName("sakila.film_text", "sakila")).toBe("film_text");
      g.nodes.push(node("service:billing", 2));
      expect(commonSchema(g)).toBeNull();
      expect(shortName("sakila.film", null)).toBe("sakila.film");
    });
  });
});
