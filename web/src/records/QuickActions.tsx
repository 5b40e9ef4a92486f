//! Quick actions on a record: log a call, add a note, record a site visit, create a task.
//! Whatever is created is linked to the record (and its account or deal) so it appears on
//! every timeline it belongs to.

import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { create } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { currentUser } from "../api/session";
import { ErrorText } from "../ui/States";
import { useSubmit } from "../ui/useSubmit";
import { MemberOptions } from "./Values";

export type Links = { contact_id?: string | null; account_id?: string | null; deal_id?: string | null };
type Action = "call" | "note" | "visit" | "task";

const ACTIONS: [Action, string][] = [
  ["call", "Log a call"],
  ["note", "Add a note"],
  ["visit", "Record a site visit"],
  ["task", "Create a task"],
];

function localNow(): string {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

export function QuickActions({ links, initial }: { links: Links; initial?: Action }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const [action, setAction] = useState<Action | null>(initial ?? null);
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [when, setWhen] = useState(localNow());
  const [assignee, setAssignee] = useState(currentUser()?.id ?? "");
  const related = Object.fromEntries(Object.entries(links).filter(([, v]) => v));
  const reset = () => {
    setAction(null);
    setSubject("");
    setBody("");
    setWhen(localNow());
    setError(null);
  };
  const { error, busy, submit, setError } = useSubmit(async () => {
    const at = new Date(when).toISOString();
    if (action === "task") {
      await create(workspace.id, "tasks", { title: subject, due_at: at, assignee_id: assignee || null, status: "open", ...related });
    } else {
      await create(workspace.id, "activities", { kind: action ?? "note", subject: subject || null, body: body || null, occurred_at: at, owner_id: currentUser()?.id, ...related });
    }
    await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id) });
    reset();
  });
  if (!workspace.canEdit) return null;

  return (
    <div className="quick-actions">
      <div className="toolbar" role="group" aria-label="Quick actions">
        {ACTIONS.map(([key, label]) => (
          <button key={key} className={action === key ? "primary" : undefined} aria-pressed={action === key} onClick={() => setAction(action === key ? null : key)}>
            {label}
          </button>
        ))}
      </div>
      {action && (
        <form className="form card" onSubmit={submit} aria-label={ACTIONS.find(([key]) => key === action)?.[1]}>
          <label>
            {action === "task" ? "Task" : "Subject"}
            <input value={subject} onChange={(e) => setSubject(e.target.value)} required={action === "task"} autoFocus placeholder={action === "visit" ? "Viewing at the property" : action === "call" ? "Follow-up call" : ""} />
          </label>
          {action !== "task" && (
            <label>
              {action === "note" ? "Note" : "Notes"}
              <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} required={action === "note"} />
            </label>
          )}
          <div className="form-row">
            <label>
              {action === "task" ? "Due" : "When"}
              <input type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} required />
            </label>
            {action === "task" && (
              <label>
                Assignee
                <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                  <option value="">Unassigned</option>
                  <MemberOptions />
                </select>
              </label>
            )}
          </div>
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={reset}>Cancel</button>
            <button className="primary" disabled={busy}>Save</button>
          </div>
        </form>
      )}
    </div>
  );
}
