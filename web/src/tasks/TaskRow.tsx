//! One task with its one-click "done" box, used on the task list and on record pages.

import { useState } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { update, type Stored } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { dateTime, relative } from "../ui/format";
import { ErrorText } from "../ui/States";

export type Task = Stored<"tasks">;

export function isOverdue(task: Task, now = Date.now()): boolean {
  return task.status === "open" && !!task.due_at && new Date(task.due_at).getTime() < now;
}

export function TaskRow({ task, showLinks = true }: { task: Task; showLinks?: boolean }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(task.status === "done");
  const toggle = async () => {
    const next = !done;
    setDone(next);
    setError(null);
    try {
      await update(workspace.id, "tasks", task.id, { status: next ? "done" : "open" }, task.version);
      await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id) });
    } catch (caught) {
      setDone(!next);
      setError(caught);
    }
  };
  const link = task.deal_id ? `deals/${task.deal_id}` : task.contact_id ? `contacts/${task.contact_id}` : task.account_id ? `accounts/${task.account_id}` : null;
  return (
    <li className="task-row">
      <label className="task-check">
        <input type="checkbox" checked={done} disabled={!workspace.canEdit} onChange={toggle} aria-label={`Done: ${task.title}`} />
        <span className={done ? "task-done" : undefined}>{task.title}</span>
      </label>
      <span className={`muted ${isOverdue(task) && !done ? "overdue" : ""}`} title={dateTime(task.due_at)}>
        {task.due_at ? relative(task.due_at) : "No due date"}
        {showLinks && link && (
          <>
            {" · "}
            <Link to={`/w/${workspace.id}/${link}`}>open</Link>
          </>
        )}
        {" · "}
        {workspace.memberName(task.assignee_id)}
      </span>
      <ErrorText error={error} />
    </li>
  );
}
