/** Small hand-made values for the unit tests. */
import type { GraphView, NodeView } from "../bindings";

export function node(id: string, wave: number, extra: Partial<NodeView> = {}): NodeView {
  const [kind, name] = id.split(":") as [string, string];
  return { id, kind, name, schema: null, wave, rows: null, bytes: null, owner: null, system: null, ...extra };
}

/** a ← b ← c, and a cycle x ⇄ y broken at y → x. */
export function smallGraph(): GraphView {
  return {
    nodes: [
      node("table:a", 1, { rows: 10, owner: "dba", schema: "s1" }),
      node("table:b", 2, { rows: 1000, schema: "s1" }),
      node("table:c", 3, { rows: 5, owner: "dba", schema: "s2" }),
      node("table:x", 1, { schema: "s2" }),
      node("table:y", 2, { schema: "s2" }),
    ],
    edges: [
      { from: "table:b", to: "table:a", kind: "fk", label: "b_a", deferred: false },
      { from: "table:c", to: "table:b", kind: "fk", label: "c_b", deferred: false },
      { from: "table:y", to: "table:x", kind: "fk", label: "y_x", deferred: false },
      { from: "table:x", to: "table:y", kind: "fk", label: "x_y", deferred: true },
    ],
    waves: 3,
    cycles: [{ members: ["table:x", "table:y"], self_reference: false, broken: true, deferred: [{ from: "table:x", to: "table:y", label: "x_y", strategy: "defer-foreign-key" }] }],
    ponr: { step_id: "S020", title: "Switch writes", reason: "this step cannot be undone", waves_before: 3 },
  };
}
