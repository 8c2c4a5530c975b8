import type { ReactNode } from "react";
import { describeError } from "../lib/errors";

/** An error with what happened and what to do; never a stack. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === null || error === undefined) return null;
  const shown = describeError(error);
  return (
    <div className="error" role="alert" data-testid="error">
      <strong>{shown.title}</strong>
      <div className="error-detail">{shown.detail}</div>
      {shown.fix && <div className="error-fix">What to do: {shown.fix}</div>}
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

/** What a new user sees where there is nothing yet, and what to do next. */
export function EmptyState({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId ?? "empty"}>
      <h2>{title}</h2>
      <div>{children}</div>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="loading">Loading {what}…</div>;
}
