/** Turning a command's typed error into what the user reads: what happened and what to do. */
import type { AppError, ErrorCode } from "../bindings";

export class CommandError extends Error {
  readonly error: AppError;
  constructor(error: AppError) {
    super(error.message);
    this.error = error;
  }
}

const titles: Record<ErrorCode, string> = {
  not_a_project: "This folder is not a Migration Studio project",
  not_opened: "That project was not opened in this window",
  already_exists: "A project already exists here",
  invalid_manifest: "The project manifest needs fixing",
  import_failed: "The import stopped",
  missing_connection: "A connection is missing",
  store: "The project store could not be used",
  not_found: "Not found",
  invalid_input: "Please check the form",
  invalid_csv: "The CSV file needs fixing",
  io: "A file could not be written or read",
  database: "The database could not be used",
  not_a_rehearsal_target: "That database is not a rehearsal target",
  provider: "Docker cannot be used",
  secret: "The keychain refused",
  cancelled: "Cancelled",
  busy: "Already running",
  failed: "The check did not pass",
  unavailable: "A service could not be reached",
  internal: "Something unexpected happened",
};

export interface ShownError {
  title: string;
  detail: string;
  fix: string | null;
}

/** What to show for any thrown value: typed errors by code, anything else without a stack. */
export function describeError(e: unknown): ShownError {
  if (e instanceof CommandError) {
    return { title: titles[e.error.code], detail: e.error.message, fix: e.error.hint ?? null };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { title: titles.internal, detail: message.split("\n")[0] ?? message, fix: null };
}

/** Unwraps a tauri-specta result, throwing a [`CommandError`] for the error branch. */
export function unwrap<T>(result: { status: "ok"; data: T } | { status: "error"; error: AppError }): T {
  if (result.status === "error") throw new CommandError(result.error);
  return result.data;
}
