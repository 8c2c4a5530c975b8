import { Fragment, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  Background,
  BaseEdge,
  Controls,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  ReactFlowProvider,
  type Edge,
  type EdgeProps,
  type Node,
  type ReactFlowInstance,
} from "@xyflow/react";
import { commands, type BlastView, type GraphView, type NodeView, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { counted } from "../lib/format";
import {
  blastHighlight,
  commonSchema,
  defaultGroupBy,
  NODE_HEIGHT,
  NODE_WIDTH,
  openingViewport,
  READABLE_ZOOM,
  readableWhole,
  routePath,
  shortName,
  visibleGraph,
  waveColor,
  waveHeaders,
  type GroupBy,
  type VisibleGraph,
  type VisNode,
  type WaveHeader,
} from "../lib/graphModel";
import { layoutGraph, stopLayouts, type LaidOut } from "../lib/layout";
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
  return (
    // The provider lets the zoom controls and the minimap live outside the canvas, where they cover no node.
    <ReactFlowProvider>
      <GraphCanvas view={graph.data} project={project} />
    </ReactFlowProvider>
  );
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
  /** Edge routes of the layered layout (layout.ts); edges without one are drawn as curves. */
  routes: Map<string, Point[]>;
  /** Column headings when the columns are waves (the ungrouped graph). */
  headers: WaveHeader[];
  /** How long the layout took, in ms. */
  ms: number;
  /** The layout was remembered from an earlier one of the same view (layout.ts). */
  reused: boolean;
  groupBy: GroupBy;
}

function isBanded(g: VisibleGraph): g is BandedGraph {
  return "bands" in g;
}

function isBandNode(n: VisNode): n is BandNode {
  return "level" in n;
}

/** Everything the opening view must show: the nodes and the wave headings above them. */
function placed(layout: { positions: Map<string, Point>; headers: WaveHeader[] }): Point[] {
  return [...layout.positions.values(), ...layout.headers.map((h) => h.position)];
}

/** Moves the flow to the layout's opening view (graphModel.openingViewport) rather than fitting it
 * to the canvas; false when the flow or the canvas is not there yet. */
function openView(flow: ReactFlowInstance<Node<NodeData>> | null, canvas: HTMLDivElement | null, layout: Layout): boolean {
  const box = canvas?.getBoundingClientRect();
  if (!flow || !box) return false;
  const graph = layout.graph;
  void flow.setViewport(isBanded(graph) ? bandViewport(graph, layout.positions, box.width, box.height) : openingViewport(placed(layout), box.width, box.height));
  return true;
}

/** Width the side panel takes from the canvas, px: `.graph-side` and the gap before it (styles.css). */
const PANEL_SPACE = 292;

/** The minimap fills the side panel's width (`.graph-side` less its border and a scroll bar), px. */
const MINIMAP_WIDTH = 262;

/** The most affected artifacts the side panel lists by name (the counts cover the rest). */
const BLAST_LIST_MAX = 200;

/** What a drawn node carries: its label, and what the minimap colours it by. */
type NodeData = { label: ReactNode; color: string; blast: boolean };

/** An edge along the route the layered layout gave it (ELK's orthogonal routing, corners rounded),
 * which avoids the nodes between; without a route, a straight line between the two sides. */
type RouteEdgeType = Edge<{ route?: Point[]; title?: string }, "route">;

function RouteEdge({ id, data, sourceX, sourceY, targetX, targetY, markerEnd, style, label }: EdgeProps<RouteEdgeType>) {
  const { path, label: at } = routePath(data?.route ?? [{ x: sourceX, y: sourceY }, { x: targetX, y: targetY }]);
  return (
    <g>
      {data?.title && <title>{data.title}</title>}
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} label={label} labelX={at.x} labelY={at.y} />
    </g>
  );
}

const edgeTypes = { route: RouteEdge };

/** A name that may break onto a second line after its `_` and `.` rather than inside a word. */
function BreakableName({ name }: { name: string }) {
  return (
    <>
      {name.split(/(?<=[_.])/).map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}

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

function nodeLabel(n: VisNode, schema: string | null): ReactNode {
  if (isBandNode(n) && n.level !== "item") return bandCardLabel(n);
  const meta = n.group ? `${counted(n.count, "artifact")} · from wave ${n.wave}` : `${n.kind} · wave ${n.wave}`;
  return (
    <>
      <div className="gnode-name" title={n.label}>
        <BreakableName name={n.group ? n.label : shortName(n.label, schema)} />
      </div>
      <div className="gnode-meta">{meta}</div>
    </>
  );
}

/** Each artifact in a cycle → the cycle's index (edges between two of one cycle are drawn as such). */
function cycleIndex(view: GraphView): Map<string, number> {
  const out = new Map<string, number>();
  view.cycles.forEach((c, i) => c.members.forEach((m) => out.set(m, i)));
  return out;
}

function GraphCanvas({ view, project }: { view: GraphView; project: ProjectView }) {
  const [groupBy, setGroupBy] = useState<GroupBy>(() => defaultGroupBy(view));
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [picked, setPicked] = useState<VisNode | null>(null);
  const [pickedBlast, setBlast] = useState<BlastView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [layout, setLayout] = useState<Layout | null>(null);
  const openedFor = useRef<GroupBy | null>(null);
  /** A band just opened: the next layout scrolls its card to the top of the canvas, its waves below. */
  const focusBand = useRef<string | null>(null);
  const [far, setFar] = useState(false);
  const farRef = useRef(false);
  const canvas = useRef<HTMLDivElement>(null);
  const flow = useRef<ReactFlowInstance<Node<NodeData>> | null>(null);
  /** The side panel (minimap, legend, blast radius, cycles). It closes by itself when that is what
   * lets the whole graph open readable; once the person shows or hides it, it stays as they left it. */
  const [panelOpen, setPanelOpen] = useState(true);
  const panelAuto = useRef(true);
  const schema = useMemo(() => commonSchema(view), [view]);
  const byId = useMemo(() => new Map<string, NodeView>(view.nodes.map((n) => [n.id, n])), [view]);
  const inCycle = useMemo(() => cycleIndex(view), [view]);

  const bands = useMemo(() => (groupBy === "wave" && usesBands(view) ? waveBands(view.nodes) : null), [view, groupBy]);
  const visible: VisibleGraph = useMemo(
    () => (bands ? bandedGraph(view, bands, expanded) : visibleGraph(view, groupBy, expanded)),
    [view, bands, groupBy, expanded],
  );

  useEffect(() => {
    let live = true;
    const t0 = performance.now();
    const box = canvas.current?.getBoundingClientRect();
    const laidOut: Promise<LaidOut> = isBanded(visible)
      ? Promise.resolve({ positions: bandLayout(visible, bandColumns(visible.bands.length, box?.width || 740, box?.height || 600)), routes: new Map<string, Point[]>() })
      : layoutGraph(visible, groupBy === "none" || groupBy === "wave");
    laidOut.then(
      ({ positions, routes, reused = false }) => {
        if (!live) return;
        const headers = groupBy === "none" ? waveHeaders(visible.nodes, positions) : [];
        const now = canvas.current?.getBoundingClientRect();
        if (now && panelAuto.current && !isBanded(visible)) {
          const points = placed({ positions, headers });
          setPanelOpen((open) => {
            const full = now.width + (open ? PANEL_SPACE : 0);
            return readableWhole(points, full - PANEL_SPACE, now.height) || !readableWhole(points, full, now.height);
          });
        }
        setLayout({ graph: visible, positions, routes, headers, ms: performance.now() - t0, reused, groupBy });
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
  /** The selection as drawn: a node a regrouping, expanding or collapsing took away is not selected any more. */
  const selected = useMemo(() => (picked && drawn?.nodes.some((n) => n.id === picked.id) ? picked : null), [picked, drawn]);
  const blast = selected ? pickedBlast : null;

  // The panel opened for a selection: keep the selected node in the canvas it narrowed.
  useEffect(() => {
    const p = selected && layout?.positions.get(selected.id);
    const box = canvas.current?.getBoundingClientRect();
    if (!panelOpen || !p || !box || !flow.current) return;
    const { x, y, zoom } = flow.current.getViewport();
    const right = (p.x + NODE_WIDTH) * zoom + x;
    if (right > box.width - 12) void flow.current.setViewport({ x: x - (right - box.width + 24), y, zoom });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the panel opens
  }, [panelOpen]);

  const highlighted = useMemo(() => (blast && drawn ? blastHighlight(drawn, blast.affected) : new Set<string>()), [drawn, blast]);

  const nodes: Node<NodeData>[] = useMemo(
    () => [
      ...(layout?.headers ?? []).map(
        (h): Node<NodeData> => ({
          id: `wave-header:${h.wave}`,
          position: h.position,
          width: NODE_WIDTH,
          height: 26,
          data: { label: far ? null : `Wave ${h.wave}`, color: "transparent", blast: false },
          className: "wave-header",
          style: { borderBottom: `3px solid ${waveColor(h.wave)}` },
          draggable: false,
          selectable: false,
          focusable: false,
        }),
      ),
      ...(layout?.graph.nodes ?? []).map((n) => {
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
          data: { label: far ? null : nodeLabel(n, schema), color, blast: highlighted.has(n.id) },
          className: classes.join(" "),
          style: { borderLeft: `6px solid ${color}` },
          // Edges leave a node on its right and reach it on its left: the layout runs left to right.
          sourcePosition: Position.Right,
          targetPosition: Position.Left,
          draggable: false,
        };
      }),
    ],
    [layout, highlighted, selected, far, schema],
  );
  const edges: Edge[] = useMemo(
    () =>
      (drawn?.edges ?? []).map((e) => {
        const route = layout?.routes.get(e.id);
        const cycle = inCycle.get(e.source);
        // A deferred foreign key (a cycle's break) is dashed; the other edges of a cycle are red.
        const kind = e.deferred ? "edge-deferred" : cycle !== undefined && inCycle.get(e.target) === cycle ? "edge-cycle" : undefined;
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          type: route ? "route" : "default",
          // A break's name is its hover text (and in the side panel's cycles): written on the edge it
          // covered the two nodes it joins, which sit a layer apart.
          data: { route, title: e.label ?? undefined },
          label: e.count > 1 ? String(e.count) : route ? undefined : (e.label ?? undefined),
          className: kind,
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: kind ? "#dc2626" : "#64748b" },
        };
      }),
    [drawn, layout, inCycle],
  );

  async function select(n: VisNode) {
    setPicked(n);
    setPanelOpen(true);
    setError(null);
    try {
      setBlast(unwrap(await commands.blastRadius(project.handle, n.members)));
    } catch (e) {
      setError(e);
      setBlast(null);
    }
  }

  /** Centres the node drawing artifact `id` (itself, or the group holding it). */
  function reveal(id: string) {
    const n = layout?.graph.nodes.find((v) => v.members.includes(id));
    const p = n && layout?.positions.get(n.id);
    if (!p || !flow.current) return;
    void flow.current.setCenter(p.x + NODE_WIDTH / 2, p.y + NODE_HEIGHT / 2, { zoom: Math.max(flow.current.getZoom(), READABLE_ZOOM), duration: 200 });
  }

  /** An artifact's name as the nodes show it (an id the graph does not know stays as it is). */
  const nameOf = (id: string) => {
    const n = byId.get(id);
    return n ? shortName(n.name, schema) : id;
  };

  const affected = useMemo(
    () =>
      (blast?.affected ?? [])
        .map((id) => byId.get(id))
        .filter((n): n is NodeView => n !== undefined)
        .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name)),
    [blast, byId],
  );

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
              setPicked(null);
              setBlast(null);
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
        <span className="muted graph-stats" data-testid="graph-stats">
          {view.nodes.length} artifacts, {view.edges.length} dependencies, {view.waves} waves, {view.cycles.length} cycles; {layout?.graph === visible
            ? `showing ${visible.nodes.length} nodes (${layout.reused ? "laid out as before" : `laid out in ${Math.round(layout.ms)} ms`})`
            : `laying out ${visible.nodes.length} nodes…`}
        </span>
        <div className="graph-view-controls">
          <Controls showInteractive={false} orientation="horizontal" />
          <button
            className="link"
            onClick={() => {
              panelAuto.current = false;
              setPanelOpen(!panelOpen);
            }}
            title={panelOpen ? "Give the canvas the panel's room" : "The minimap, the legend, the selection's blast radius and the cycles"}
            data-testid="graph-panel-toggle"
          >
            {panelOpen ? "Hide panel" : "Show panel"}
          </button>
        </div>
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
              edgeTypes={edgeTypes}
              proOptions={{ hideAttribution: true }}
            >
              <Background />
            </ReactFlow>
          ) : (
            <Loading what="layout" />
          )}
        </div>
        {panelOpen && (
        <aside className="graph-side" data-testid="graph-side">
          {/* Outside the flow, React Flow's colour variables are not set: the colours are given. */}
          {layout && (
            <MiniMap
              pannable
              zoomable
              style={{ width: MINIMAP_WIDTH, height: 150 }}
              bgColor="#ffffff"
              maskColor="rgba(226, 232, 240, 0.6)"
              maskStrokeColor="#94a3b8"
              maskStrokeWidth={1}
              nodeColor={(n: Node<NodeData>) => (n.data.blast ? "#f97316" : n.data.color)}
              nodeStrokeWidth={3}
            />
          )}
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
                  {affected.length > 0 && (
                    <ol className="blast-list" data-testid="blast-list">
                      {affected.slice(0, BLAST_LIST_MAX).map((n) => (
                        <li key={n.id}>
                          <button className="link" title={`Show ${n.name}`} onClick={() => reveal(n.id)}>
                            {nameOf(n.id)}
                          </button>{" "}
                          <span className="muted">
                            {n.kind}, wave {n.wave}
                          </span>
                        </li>
                      ))}
                    </ol>
                  )}
                  {affected.length > BLAST_LIST_MAX && <p className="muted">and {affected.length - BLAST_LIST_MAX} more (counted below)</p>}
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
                    {c.members.map(nameOf).join(" ⇄ ")}
                    {!c.broken && <span className="badge warn">cannot be broken: moves as one</span>}
                    {c.deferred.map((d, j) => (
                      <div key={j} className="muted">
                        break {d.label ?? `${nameOf(d.from)} → ${nameOf(d.to)}`}: {d.strategy.replaceAll("-", " ")}
                      </div>
                    ))}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
        )}
      </div>
    </div>
  );
}
