import type { RunbookExportFormat } from "../bindings";

/** One entry of the runbook screen's export menu. */
export type RunbookExport = {
  format: RunbookExportFormat;
  /** The button's text. */
  label: string;
  /** What the file is for, as the button's tooltip. */
  title: string;
  testId: string;
};

/** The runbook's export formats, each saved through the app's own save dialog. */
export const RUNBOOK_EXPORTS: readonly RunbookExport[] = [
  { format: "csv", label: "CSV…", title: "A spreadsheet, one row per step", testId: "export-csv" },
  { format: "markdown", label: "Markdown…", title: "A document for a wiki or a change ticket", testId: "export-md" },
  {
    format: "argo",
    label: "Argo Workflows…",
    title: "A Workflow manifest (YAML): one DAG task per step, suspends for checkpoints and the point of no return",
    testId: "export-argo",
  },
  {
    format: "airflow",
    label: "Airflow DAG…",
    title: "A DAG file (Python): one task per step, approvals for checkpoints and the point of no return, and a rollback DAG",
    testId: "export-airflow",
  },
];
