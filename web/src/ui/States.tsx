//! Loading, empty and error states, the same on every screen.

import type { ReactNode } from "react";
import { describe } from "../api/problem";

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {label}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <strong>Something went wrong</strong>
      <div>{describe(error)}</div>
      {onRetry && <button onClick={onRetry}>Try again</button>}
    </div>
  );
}

/** An inline error under a form or beside an action. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error-text" role="alert">
      {describe(error)}
    </p>
  );
}
