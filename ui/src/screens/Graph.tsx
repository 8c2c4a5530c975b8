import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Background, Controls, MiniMap, ReactFlow, type Edge, type Node, type ReactFlowInstance } from "@xyflow/react";
import { commands, type BlastView, type GraphView, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { counted } from "../lib/format";
import {
  blastHighlight,
  defaultGroupBy,
  NODE_HEIGHT,
  NODE_WIDTH,
  openingViewport,
  visibleGraph,
  waveColor,
  type GroupBy,
  type VisibleGraph,
  type VisNode,
} from "../lib/graphModel";
import { layoutGraph, stopLayouts } from "../lib/layout";
import { bandColumns, bandedGraph, bandKey, bandLayout, bandNodeSize, bandViewport, usesBands, waveBands, waveKey, type BandedGraph, type BandNode } from "../lib/waveBands";
import type { Point } from "../lib/graphModel";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";
import "@xyflow/react/dist/style.css";
import "./Graph.css";

export function GraphScreen({ project }: { project: ProjectView }) {
  const graph = useLoad(async () => unwrap(await commands.graph(project.handle)));
  if (graph.loading && !graph.data) return <Loading what="graph" />;
  if (graph.error) return <ErrorBanner error={graph.error} />;
  if (!graph.data || graph.data.nodes.length === 0)
    return (
      <EmptyState title="No graph yet">
        The graph is drawn from the inventory. Import tables or services first (Projects → Re-import inputs).
      </EmptyState>
    );
  return <GraphCanvas view={graph.data} project={project} />;
}

/**
 * Below this zoom nodes have no label (the boxes keep their wave colour): names there are under
 * 5 px, and drawing them, and building them for the hundreds of nodes a pan brings into view,
 * made panning the 5k-node graph stutter (BENCHMARKS.md, "Desktop").
 */
const LABEL_MIN_ZOOM = 0.3;

/** A layout and the graph it was computed for. That graph is what is drawn, so that while a new
 * grouping is laid out the old one stays on screen instead of new nodes piling up at the origin. */
interface Layout {
  graph: VisibleGraph;
  positions: Map<string, Point>;
  /** How long the layout took, in ms. */
  ms: number;
  groupBy: GroupBy;
}

function isBanded(g: VisibleGraph): g is BandedGraph {
  return "bands" in g;
}

function isBandNode(n: VisNode): n is BandNode {
  return "level" in n;
}

/** Moves the flow to the layout's opening view (graphModel.openingViewport) rather than fitting it
 * to the canvas; false when the flow or the canvas is not there yet. */
function openView(flow: ReactFlowInstance<Node<NodeData>> | null, canvas: HTMLDivElement | null, layout: Layout): boolean {
  const box = canvas?.getBoundingClientRect();
  if (!flow || !box) return false;
  const graph = layout.graph;
  void flow.setViewport(
    isBanded(graph) ? bandViewport(graph, layout.positions, box.width, box.height) : openingViewport(layout.positions.values(), box.width, box.height),
  );
  return true;
}

/** What a drawn node carries: its label, and what the minimap colours it by. */
type NodeData = { label: ReactNode; color: string; blast: boolean };

/** A band's card: its wave range, what it holds, and what a click does. */
function bandCardLabel(n: BandNode): ReactNode {
  const open = n.level === "band-open" || n.level === "wave-open";
  const band = n.level.startsWith("band");
  const hint = open ? "click to close" : band ? "click to open its waves" : "double-click to list its tables";
  return (
    <>
      <div className="gnode-name" title={`${n.label} · ${n.summary}`} data-testid={band ? "graph-band-label" : undefined}>
        {n.label}
      </div>
      <div className="gnode-count" data-testid={band ? "graph-band-count" : undefined}>
        {n.summary}
      </div>
      {band && <div className="gnode-meta">{hint}</div>}
    </>
  );
}

function nodeLabel(n: VisNode): ReactNode {
  if (isBandNode(n) && n.level !== "item") return bandCardLabel(n);
  const meta = n.group ? `${counted(n.count, "artifact")} · from wave ${n.wave}` : `${n.kind} · wave ${n.wave}`;
  return (
    <>
      <div className="gnode-name" title={n.label}>
        {n.label}
      </div>
      <div className="gnode-meta">{meta}</div>
    </>
  );
}

function GraphCanvas({ view, project }: { view: GraphView; project: ProjectView }) {
  const [groupBy, setGroupBy] = useState<GroupBy>(() => defaultGroupBy(view));
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<VisNode | null>(null);
  const [blast, setBlast] = useState<BlastView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [layout, setLayout] = useState<Layout | null>(null);
  const openedFor = useRef<GroupBy | null>(null);
  /** A band just opened: the next layout scrolls its card to the top of the canvas, its waves below. */
  const focusBand = useRef<string | null>(null);
  const [far, setFar] = useState(false);
  const farRef = useRef(false);
  const canvas = useRef<HTMLDivElement>(null);
  const flow = useRef<ReactFlowInstance<Node<NodeData>> | null>(null);

  const bands = useMemo(() => (groupBy === "wave" && usesBands(view) ? waveBands(view.nodes) : null), [view, groupBy]);
  const visible: VisibleGraph = useMemo(
    () => (bands ? bandedGraph(view, bands, expanded) : visibleGraph(view, groupBy, expanded)),
    [view, bands, groupBy, expanded],
  );

  useEffect(() => {
    let live = true;
    const t0 = performance.now();
    const box = canvas.current?.getBoundingClientRect();
    const laidOut = isBanded(visible)
      ? Promise.resolve(bandLayout(visible, bandColumns(visible.bands.length, box?.width || 740, box?.height || 600)))
      : layoutGraph(visible);
    laidOut.then(
      (positions) => {
        if (live) setLayout({ graph: visible, positions, ms: performance.now() - t0, groupBy });
      },
      (e: unknown) => {
        if (live) setError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [visible, groupBy]);

  // ELK's worker goes with the screen (a layout still running is not wanted any more).
  useEffect(() => stopLayouts, []);

  // A layout for a new grouping opens on its readable view; expanding or collapsing a group keeps
  // the person's view. (The first layout lands before React Flow is ready: onInit opens that one.)
  useEffect(() => {
    if (layout && openedFor.current !== layout.groupBy && openView(flow.current, canvas.current, layout)) openedFor.current = layout.groupBy;
    const band = focusBand.current === null ? undefined : layout?.positions.get(focusBand.current);
    if (band && flow.current) {
      focusBand.current = null;
      const { x, zoom } = flow.current.getViewport();
      void flow.current.setViewport({ x, y: 24 - band.y * zoom, zoom });
    }
  }, [layout]);

  const drawn = layout?.graph;
  const highlighted = useMemo(() => (blast && drawn ? blastHighlight(drawn, blast.affected) : new Set<string>()), [drawn, blast]);

  const nodes: Node<NodeData>[] = useMemo(
    () =>
      (layout?.graph.nodes ?? []).map((n) => {
        const p = layout?.positions.get(n.id) ?? { x: 0, y: 0 };
        const classes = ["gnode"];
        if (n.group) classes.push("group");
        if (isBandNode(n)) classes.push(n.level);
        const size = isBandNode(n) ? bandNodeSize(n) : { width: NODE_WIDTH, height: NODE_HEIGHT };
        const color = isBandNode(n) ? waveColor(n.band + 1) : waveColor(n.wave);
        if (n.inCycle) classes.push("cycle");
        if (highlighted.has(n.id)) classes.push("blast");
        if (selected?.id === n.id) classes.push("selected");
        return {
          id: n.id,
          position: p,
          width: size.width,
          height: size.height,
          data: { label: far ? null : nodeLabel(n), color, blast: highlighted.has(n.id) },
          className: classes.join(" "),
          style: { borderLeft: `6px solid ${color}` },
          draggable: false,
        };
      }),
    [layout, highlighted, selected, far],
  );
  const edges: Edge[] = useMemo(
    () =>
      (drawn?.edges ?? []).map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        label: e.label ?? (e.count > 1 ? String(e.count) : undefined),
        className: e.deferred ? "edge-deferred" : undefined,
        animated: e.deferred,
      })),
    [drawn],
  );

  async function select(n: VisNode) {
    setSelected(n);
    setError(null);
    try {
      setBlast(unwrap(await commands.blastRadius(project.handle, n.members)));
    } catch (e) {
      setError(e);
      setBlast(null);
    }
  }

  function toggleGroup(n: VisNode) {
    const band = isBandNode(n) && n.level.startsWith("band") ? bands?.[n.band] : undefined;
    const key = band ? bandKey(band) : isBandNode(n) ? waveKey(n.wave) : n.label;
    const next = new Set(expanded);
    if (next.has(key)) next.delete(key);
    else {
      next.add(key);
      if (band) focusBand.current = n.id;
    }
    setExpanded(next);
  }

  return (
    <div className="screen graph-screen">
      <div className="graph-toolbar">
        <h1>Dependency graph</h1>
        <label>
          Group by
          <select
            value={groupBy}
            onChange={(e) => {
              setGroupBy(e.target.value as GroupBy);
              setExpanded(new Set());
            }}
            data-testid="group-by"
          >
            {(["none", "wave", "schema", "system", "kind", "owner"] as const).map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <span className="muted" data-testid="graph-stats">
          {view.nodes.length} artifacts, {view.edges.length} dependencies, {view.waves} waves, {view.cycles.length} cycles; {layout?.graph === visible
            ? `showing ${visible.nodes.length} nodes (laid out in ${Math.round(layout.ms)} ms)`
            : `laying out ${visible.nodes.length} nodes…`}
        </span>
      </div>
      {view.ponr && (
        <div className="ponr-banner" data-testid="ponr-banner">
          <span className="badge ponr">PONR</span> Point of no return: <strong>{view.ponr.step_id}</strong> {view.ponr.title} — {view.ponr.reason}.
          {view.ponr.waves_before > 0 && ` Waves 1–${view.ponr.waves_before} are backfilled before it.`}
        </div>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="graph-body">
        <div className="graph-canvas" data-testid="graph-canvas" ref={canvas}>
          {layout ? (
            <ReactFlow
              nodes={nodes}
              edges={edges}
              onMove={(_, viewport) => {
                // Called on every frame of a pan: a state update only when the answer changes (an
                // update per frame re-rendered the flow and tripled the 5k graph's p95 frame time).
                const isFar = viewport.zoom < LABEL_MIN_ZOOM;
                if (isFar !== farRef.current) setFar((farRef.current = isFar));
              }}
              onInit={(instance) => {
                flow.current = instance;
                if (openView(instance, canvas.current, layout)) openedFor.current = layout.groupBy;
              }}
              minZoom={0.02}
              onlyRenderVisibleElements
              nodesConnectable={false}
              onNodeClick={(_, n) => {
                const v = layout.graph.nodes.find((x) => x.id === n.id);
                // A band opens or closes on a click, as does an open wave's card; the rest are selected.
                if (v && isBandNode(v) && v.level !== "wave" && v.level !== "item") toggleGroup(v);
                else if (v) void select(v);
              }}
              onNodeDoubleClick={(_, n) => {
                const v = layout.graph.nodes.find((x) => x.id === n.id);
                if (v?.group) toggleGroup(v);
              }}
              proOptions={{ hideAttribution: true }}
            >
              <Background />
              <Controls position="top-right" showInteractive={false} />
              {/* An opened band's waves fill the canvas below its card, where the minimap would cover some; the bands are the overview then. */}
              {!(isBanded(layout.graph) && expanded.size > 0) && <MiniMap pannable zoomable nodeColor={(n: Node<NodeData>) => (n.data.blast ? "#f97316" : n.data.color)} nodeStrokeWidth={3} />}
            </ReactFlow>
          ) : (
            <Loading what="layout" />
          )}
        </div>
        <aside className="graph-side">
          <h2>Legend</h2>
          <ul className="legend">
            {bands
              ? bands.map((b) => (
                  <li key={b.index}>
                    <span className="wave-dot" style={{ background: waveColor(b.index + 1) }} /> {b.first === b.last ? `wave ${b.first}` : `waves ${b.first}–${b.last}`}
                  </li>
                ))
              : Array.from({ length: Math.min(view.waves, 10) }, (_, i) => (
                  <li key={i}>
                    <span className="wave-dot" style={{ background: waveColor(i + 1) }} /> wave {i + 1}
                  </li>
                ))}
            <li>
              <span className="swatch cycle" /> in a cycle
            </li>
            <li>
              <span className="swatch deferred" /> deferred (cycle break)
            </li>
            <li>
              <span className="swatch blast" /> blast radius
            </li>
          </ul>
          {bands ? (
            <p className="muted" data-testid="graph-band-help">
              {view.waves} waves in {bands.length} bands of about the same size. Click a band to open its waves; double-click a wave to list its tables.
            </p>
          ) : (
            groupBy !== "none" && <p className="muted">Double-click a group to expand or collapse it.</p>
          )}
          {selected ? (
            <section data-testid="blast-panel">
              <h2>{selected.group ? `${selected.label} (${selected.count})` : selected.label}</h2>
              {blast && (
                <>
                  <p>
                    <strong>{blast.affected.length}</strong> {blast.affected.length === 1 ? "artifact depends" : "artifacts depend"} on it, directly or transitively.
                  </p>
                  <ul>
                    {blast.by_kind.map((k) => (
                      <li key={k.key}>
                        {k.count} {k.key}
                      </li>
                    ))}
                  </ul>
                  <h3>Owners affected</h3>
                  <ul>
                    {blast.by_owner.map((k) => (
                      <li key={k.key}>
                        {k.key}: {k.count}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          ) : (
            <p className="muted">Click an artifact to see its blast radius: everything that depends on it.</p>
          )}
          {view.cycles.length > 0 && (
            <section>
              <h2>Cycles and proposed breaks</h2>
              <ul className="cycles">
                {view.cycles.map((c, i) => (
                  <li key={i}>
                    {c.members.join(" ⇄ ")}
                    {!c.broken && <span className="badge warn">cannot be broken: moves as one</span>}
                    {c.deferred.map((d, j) => (
                      <div key={j} className="muted">
                        break {d.label ?? `${d.from} → ${d.to}`}: {d.strategy}
                      </div>
                    ))}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}
