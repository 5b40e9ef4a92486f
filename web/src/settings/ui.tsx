//! Pieces the settings sections share: a modal dialog (the native <dialog>, so focus stays
//! inside, starts on its first control, and Escape closes it), a confirmation that shows the server's refusal in place, the
//! role names, and a problem shown as a list when the server names several.

import { useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { ApiProblem } from "../api/problem";
import type { Role } from "../app/workspace";
import { ErrorText } from "../ui/States";

export const ROLES: Role[] = ["viewer", "member", "admin", "owner"];
export const ROLE_HELP = "Viewers read; members also edit records; admins also manage members and API keys; owners also manage owners.";

export function RoleOptions() {
  return ROLES.map((role) => (
    <option key={role} value={role}>
      {role[0].toUpperCase() + role.slice(1)}
    </option>
  ));
}

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Opened before paint; on closing, focus goes back to what opened it.
  useLayoutEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    dialog?.showModal();
    return () => {
      dialog?.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog settings-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** Asks before `onConfirm`; closes once it succeeds, or stays open showing why it failed. */
export function ConfirmDialog({ title, action, onConfirm, onClose, children }: {
  title: string;
  action: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={() => !busy && onClose()}>
      <div>{children}</div>
      <ProblemText error={error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose} disabled={busy}>Cancel</button>
        <button type="button" className="danger" onClick={confirm} disabled={busy}>
          {busy ? "Working…" : action}
        </button>
      </div>
    </Dialog>
  );
}

/** The server's message; when it lists several problems (each stage that holds deals), one a line. */
export function ProblemText({ error }: { error: unknown }) {
  if (!(error instanceof ApiProblem) || error.errors.length < 2) {
    const only = error instanceof ApiProblem ? error.errors[0]?.message : undefined;
    return only ? <p className="error-text" role="alert">{only}</p> : <ErrorText error={error} />;
  }
  return (
    <div className="error-text" role="alert">
      <ul className="settings-problem-list">
        {error.errors.map((e, i) => (
          <li key={i}>{e.message}</li>
        ))}
      </ul>
    </div>
  );
}
