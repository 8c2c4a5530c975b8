import { describe, expect, it } from "vitest";
import type { GraphView } from "../bindings";
import { node } from "./fixtures";
import {
  BAND_HEIGHT,
  BAND_WIDTH,
  bandColumns,
  bandedGraph,
  bandKey,
  bandLabel,
  bandLayout,
  bandViewport,
  kindsSummary,
  MAX_BANDS,
  usesBands,
  waveBands,
  waveKey,
} from "./waveBands";

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error("missing");
  return v;
}

/** `waves` waves of `perWave` tables each, each table depending on one of the wave before. */
function chain(waves: number, perWave: number): GraphView {
  const nodes = [];
  const edges = [];
  for (let w = 1; w <= waves; w++) {
    for (let i = 0; i < perWave; i++) {
      nodes.push(node(`table:t${w}_${i}`, w));
      if (w > 1) edges.push({ from: `table:t${w}_${i}`, to: `table:t${w - 1}_${i}`, kind: "fk", label: null, deferred: false });
    }
  }
  return { nodes, edges, waves, cycles: [], ponr: null };
}

describe("wave bands", () => {
  it("cuts 498 waves into at most twelve contiguous bands of about the same size", () => {
    const view = chain(498, 10);
    expect(usesBands(view)).toBe(true);
    const bands = waveBands(view.nodes);
    expect(bands.length).toBeGreaterThanOrEqual(10);
    expect(bands.length).toBeLessThanOrEqual(MAX_BANDS);
    expect(bands[0]?.first).toBe(1);
    expect(bands[bands.length - 1]?.last).toBe(498);
    bands.slice(1).forEach((b, i) => expect(b.first).toBe((bands[i]?.last ?? 0) + 1));
    expect(bands.reduce((n, b) => n + b.members.length, 0)).toBe(4980);
    for (const b of bands) expect(b.members.length).toBeLessThanOrEqual(Math.ceil(4980 / MAX_BANDS) + 10);
    expect(bandLabel(must(bands[0]))).toBe(`waves 1–${must(bands[0]).last}`);
    expect(bandLabel({ first: 4, last: 4 })).toBe("wave 4");
  });

  it("says the commonest kinds in words", () => {
    expect(kindsSummary(new Map([["table", 1234]]))).toBe("1,234 tables");
    expect(kindsSummary(new Map([["view", 1], ["table", 40], ["trigger", 2], ["service", 3]]))).toBe("40 tables · 3 services · 3 more");
  });

  it("draws closed bands without edges between them, and opens a band into waves and a wave into tables", () => {
    const view = chain(60, 2);
    const bands = waveBands(view.nodes);
    const closed = bandedGraph(view, bands, new Set());
    expect(closed.nodes.every((n) => n.level === "band")).toBe(true);
    expect(closed.edges).toEqual([]);
    const first = must(bands[0]);
    const open = bandedGraph(view, bands, new Set([bandKey(first), waveKey(2)]));
    const levels = open.nodes.filter((n) => n.band === 0).map((n) => n.level);
    expect(levels[0]).toBe("band-open");
    expect(levels.filter((l) => l === "wave").length).toBe(first.last - first.first);
    expect(levels.filter((l) => l === "wave-open").length).toBe(1);
    expect(open.nodes.filter((n) => n.level === "item").map((n) => n.id)).toEqual(["table:t2_0", "table:t2_1"]);
    // Wave 1's card feeds wave 2's tables; the open band's header carries no edge.
    expect(open.edges.map((e) => e.id)).toContain("group:wave 1->table:t2_0");
    expect(open.edges.some((e) => e.source.startsWith("band:0") || e.target === `band:${first.first}-${first.last}`)).toBe(false);
    // Between two cards no edge is drawn: the wave order says it.
    expect(open.edges.every((e) => e.source.startsWith("table:") || e.target.startsWith("table:"))).toBe(true);
  });

  it("lays the bands out as a grid that opens readable, and an open band's waves below its header", () => {
    const view = chain(498, 10);
    const bands = waveBands(view.nodes);
    const columns = bandColumns(bands.length, 740, 600);
    expect(columns).toBeGreaterThanOrEqual(2);
    const closed = bandedGraph(view, bands, new Set());
    const positions = bandLayout(closed, columns);
    const viewport = bandViewport(closed, positions, 740, 600);
    expect(viewport.zoom).toBeGreaterThanOrEqual(0.6);
    for (const n of closed.nodes) {
      const p = must(positions.get(n.id));
      const [left, top] = [p.x * viewport.zoom + viewport.x, p.y * viewport.zoom + viewport.y];
      expect(left).toBeGreaterThanOrEqual(0);
      expect(top).toBeGreaterThanOrEqual(0);
      expect(left + BAND_WIDTH * viewport.zoom).toBeLessThanOrEqual(740);
      expect(top + BAND_HEIGHT * viewport.zoom).toBeLessThanOrEqual(600);
    }
    const open = bandedGraph(view, bands, new Set([bandKey(must(bands[1]))]));
    const at = bandLayout(open, columns);
    const header = must(at.get(`band:${must(bands[1]).first}-${must(bands[1]).last}`));
    expect(header.x).toBe(0);
    const waveCards = open.nodes.filter((n) => n.level === "wave").map((n) => must(at.get(n.id)));
    expect(Math.min(...waveCards.map((p) => p.y))).toBeGreaterThan(header.y);
    const later = must(at.get(`band:${must(bands[2]).first}-${must(bands[2]).last}`));
    expect(later.y).toBeGreaterThan(Math.max(...waveCards.map((p) => p.y)));
  });
});
