/** The Mapping screen's two forms: a column rule's fields, and a column only the target has. */
import { useState } from "react";
import type { MappingRow_Serialize, MappingRuleEdit_Deserialize } from "../bindings";
import { computedEdit, emptyComputed, fieldAtFault, ruleForm, type ComputedForm, type RuleForm } from "../lib/mappingEdit";
import { ErrorBanner } from "./Feedback";

type TextField = "target" | "type" | "derive" | "nullDefault" | "reason" | "author";

const testIds: Record<TextField, string> = {
  target: "target",
  type: "type",
  derive: "derive",
  nullDefault: "null-default",
  reason: "reason",
  author: "author",
};

/** The engine's refusal, next to the form it refused; nothing was written. */
function Refusal({ error, testId }: { error: unknown; testId: string }) {
  if (error == null) return null;
  return (
    <div data-testid={testId}>
      <ErrorBanner error={error} />
    </div>
  );
}

export function RuleEditor({
  row,
  author,
  error,
  onSave,
  onRemove,
  onCancel,
}: {
  row: MappingRow_Serialize;
  author: string;
  error: unknown;
  onSave: (form: RuleForm) => void;
  /** Removes the rule: a computed column goes, a source column is back under the default mapping. */
  onRemove: () => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<RuleForm>(() => ruleForm(row, author));
  const fault = fieldAtFault(error);
  const field = (name: TextField, label: string, placeholder?: string, wide?: boolean) => (
    <label>
      {label}{" "}
      <input
        value={form[name]}
        placeholder={placeholder}
        size={wide ? 36 : undefined}
        disabled={form.drop && name !== "reason" && name !== "author"}
        aria-invalid={fault === name}
        className={fault === name ? "invalid" : undefined}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        data-testid={`mapping-form-${testIds[name]}`}
      />
    </label>
  );
  return (
    <form
      className="rule-editor"
      data-testid="mapping-editor"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(form);
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <div className="row">
        <strong>{row.source_column}</strong> <span className="muted">{row.computed ? "computed, only on the target" : `${row.source_type} →`}</span>
        {!row.computed && field("target", "Target column")}
        {field("type", "Type")}
        {!row.computed && (
          <label>
            <input type="checkbox" checked={form.drop} onChange={(e) => setForm({ ...form, drop: e.target.checked })} data-testid="mapping-form-drop" /> Drop
          </label>
        )}
      </div>
      <div className="row">
        {field("derive", "Computed as", row.computed ? "e.g. lower(email)" : "empty: copied as it is", true)}
        {field("nullDefault", "A NULL becomes", "empty: stays NULL; e.g. 0 or 'n/a'")}
        <label>
          <input
            type="checkbox"
            checked={form.notNull}
            disabled={form.drop}
            onChange={(e) => setForm({ ...form, notNull: e.target.checked })}
            data-testid="mapping-form-not-null"
          />{" "}
          NOT NULL
        </label>
      </div>
      <div className="row">
        {field("reason", "Reason")}
        {field("author", "Author")}
        <button type="submit" data-testid="mapping-form-save">
          Save the rule
        </button>
        {row.rule !== "default" && (
          <button type="button" className="secondary" onClick={onRemove} data-testid="mapping-form-remove">
            {row.computed ? "Remove the computed column" : "Back to the default mapping"}
          </button>
        )}
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <Refusal error={error} testId="mapping-edit-error" />
    </form>
  );
}

/** "Add computed column": a name, a type, the expression and why. */
export function ComputedColumnForm({
  table,
  columns,
  author,
  error,
  onSave,
  onCancel,
}: {
  table: string;
  /** The names the table's rows already use (source and computed). */
  columns: string[];
  author: string;
  error: unknown;
  onSave: (edit: MappingRuleEdit_Deserialize) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<ComputedForm>(() => emptyComputed(author));
  const [problem, setProblem] = useState<string | null>(null);
  const fault = fieldAtFault(error);
  const field = (name: keyof ComputedForm, label: string, placeholder: string, wide?: boolean) => (
    <label>
      {label}{" "}
      <input
        value={form[name]}
        placeholder={placeholder}
        size={wide ? 36 : undefined}
        aria-invalid={fault === name}
        className={fault === name ? "invalid" : undefined}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        data-testid={`mapping-computed-${name}`}
      />
    </label>
  );
  return (
    <form
      className="rule-editor computed-form"
      data-testid="mapping-computed-form"
      onSubmit={(e) => {
        e.preventDefault();
        const asked = computedEdit(table, columns, form);
        if ("problem" in asked) {
          setProblem(asked.problem);
          return;
        }
        setProblem(null);
        onSave(asked.edit);
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <strong>New column of {table}, computed from its other columns</strong>
      <div className="row">
        {field("name", "Name", "e.g. initials")}
        {field("type", "Type", "empty: as the expression yields")}
        {field("derive", "Computed as", "e.g. lower(email)", true)}
      </div>
      <div className="row">
        {field("reason", "Reason", "why the target needs it")}
        {field("author", "Author", "who decided")}
        <button type="submit" data-testid="mapping-computed-save">
          Add the column
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {problem && (
        <div className="field-error" role="alert" data-testid="mapping-computed-problem">
          {problem}
        </div>
      )}
      <Refusal error={error} testId="mapping-computed-error" />
    </form>
  );
}
