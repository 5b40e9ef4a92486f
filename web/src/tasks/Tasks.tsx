//! My tasks: overdue, due today and upcoming, each completed with one click. "Everyone" shows
//! the whole team's open tasks.

import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { listAll } from "../api/records";
import { currentUser } from "../api/session";
import { useWorkspace, wsKey } from "../app/workspace";
import { Empty, ErrorState, Loading } from "../ui/States";
import { TaskRow, type Task } from "./TaskRow";

export type TaskGroups = { overdue: Task[]; today: Task[]; upcoming: Task[]; someday: Task[] };

/** Open tasks by when they are due, relative to `now` in the user's own day. */
export function groupTasks(tasks: Task[], now = new Date()): TaskGroups {
  const endOfToday = new Date(now);
  endOfToday.setHours(23, 59, 59, 999);
  const groups: TaskGroups = { overdue: [], today: [], upcoming: [], someday: [] };
  for (const task of tasks) {
    if (!task.due_at) groups.someday.push(task);
    else if (new Date(task.due_at) < now) groups.overdue.push(task);
    else if (new Date(task.due_at) <= endOfToday) groups.today.push(task);
    else groups.upcoming.push(task);
  }
  return groups;
}

const SECTIONS: [keyof TaskGroups, string][] = [
  ["overdue", "Overdue"],
  ["today", "Today"],
  ["upcoming", "Upcoming"],
  ["someday", "No due date"],
];

export default function Tasks() {
  const workspace = useWorkspace();
  const [params, setParams] = useSearchParams();
  const everyone = params.get("who") === "everyone";
  const me = currentUser()?.id;
  const tasks = useQuery({
    queryKey: wsKey(workspace.id, "tasks", { everyone }),
    queryFn: () => listAll(workspace.id, "tasks", { status: "open", sort: "due_at", ...(everyone ? {} : { assignee_id: me }) }),
  });
  const groups = tasks.data ? groupTasks(tasks.data) : null;
  return (
    <div className="page">
      <header className="page-header">
        <h1>{everyone ? "Team tasks" : "My tasks"}</h1>
        <div className="toolbar" role="group" aria-label="Whose tasks">
          <button aria-pressed={!everyone} className={!everyone ? "primary" : undefined} onClick={() => setParams({}, { replace: true })}>Mine</button>
          <button aria-pressed={everyone} className={everyone ? "primary" : undefined} onClick={() => setParams({ who: "everyone" }, { replace: true })}>Everyone</button>
        </div>
      </header>
      {tasks.isPending && <Loading label="Loading tasks" />}
      {tasks.isError && <ErrorState error={tasks.error} onRetry={() => tasks.refetch()} />}
      {tasks.data && tasks.data.length === 0 && <Empty title="No open tasks">Tasks created from a record's quick actions show up here.</Empty>}
      {groups && tasks.data && tasks.data.length > 0 && (
        <div className="task-sections">
          {SECTIONS.map(([key, title]) => {
            const group = groups[key];
            return group.length === 0 ? null : (
              <section key={key} className="card" aria-labelledby={`tasks-${key}`}>
                <h2 id={`tasks-${key}`} className={key === "overdue" ? "overdue" : undefined}>
                  {title} <span className="muted">({group.length})</span>
                </h2>
                <ul className="list">
                  {group.map((task) => (
                    <TaskRow key={task.id} task={task} />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
