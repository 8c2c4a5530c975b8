import { describe, expect, it } from "vitest";
import { AUTO_GROUP_THRESHOLD, blastHighlight, columnLayout, defaultGroupBy, visibleGraph, waveColor } from "./graphModel";
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
});
