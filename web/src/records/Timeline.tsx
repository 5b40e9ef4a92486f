//! The timeline of a record: activities (calls, notes, visits…) and every change from the
//! event log, newest first, saying who or what made each change (a person, an API key, an
//! import) and what changed from what.

import type { Event, Stored } from "../api/records";
import { useWorkspace } from "../app/workspace";
import { dateTime, relative } from "../ui/format";
import { Empty } from "../ui/States";

type Activity = Stored<"activities">;

export type TimelineItem = { key: string; at: string; activity?: Activity; event?: Event };

const ACTIVITY_ICONS: Record<string, string> = { call: "☎", email: "✉", meeting: "◎", note: "✎", visit: "⌂" };
const HIDDEN_FIELDS = new Set(["version", "updated_at", "created_at"]);

/** Activities and events in one list, newest first. An activity's own "created" event is left out. */
export function mergeTimeline(activities: Activity[], events: Event[]): TimelineItem[] {
  const activityIds = new Set(activities.map((a) => a.id));
  const items: TimelineItem[] = [
    ...activities.map((activity) => ({ key: `a-${activity.id}`, at: activity.occurred_at ?? activity.created_at, activity })),
    ...events.filter((event) => !(event.entity === "activity" && activityIds.has(event.entity_id))).map((event) => ({ key: `e-${event.seq}`, at: event.created_at, event })),
  ];
  return items.sort((a, b) => b.at.localeCompare(a.at));
}

export function actorName(event: Event, memberName: (id: string) => string): string {
  const actor = event.actor;
  switch (actor.kind) {
    case "user":
      return actor.name || (actor.id ? memberName(actor.id) : "Someone");
    case "api_key":
      return `API key ${actor.name ?? ""}`.trim();
    case "import":
      return "An import";
    case "system":
      return "Velocity";
    default:
      return actor.name || actor.kind;
  }
}

function showChange(field: string, value: unknown, stageName: (id: string) => string, memberName: (id: string) => string): string {
  if (value === null || value === undefined || value === "") return "empty";
  if (field === "stage_id") return stageName(String(value));
  if (field === "owner_id" || field === "assignee_id") return memberName(String(value));
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function Timeline({ items }: { items: TimelineItem[] }) {
  const workspace = useWorkspace();
  const stageName = (id: string) => workspace.stage(id)?.name ?? "a stage";
  if (items.length === 0) return <Empty title="Nothing here yet">Log a call or add a note to start the story.</Empty>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {items.map(({ key, activity, event, at }) => (
        <li key={key}>
          <span className="icon" aria-hidden>{activity ? (ACTIVITY_ICONS[activity.kind] ?? "•") : "↻"}</span>
          <div>
            {activity ? (
              <>
                <strong>{activity.subject || activity.kind.replace(/^./, (c) => c.toUpperCase())}</strong>{" "}
                <span className="badge">{activity.kind}</span>
                {activity.body && <p className="activity-body">{activity.body}</p>}
                <div className="when" title={dateTime(at)}>
                  {workspace.memberName(activity.owner_id)} · {relative(at)}
                </div>
              </>
            ) : event ? (
              <>
                <span>
                  <strong>{actorName(event, workspace.memberName)}</strong> {event.action} this {event.entity}
                  {event.source && event.source !== "api" ? ` (${event.source})` : ""}
                </span>
                {event.action === "updated" && (
                  <ul className="changes">
                    {Object.entries(event.changes as Record<string, { old?: unknown; new?: unknown }>)
                      .filter(([field]) => !HIDDEN_FIELDS.has(field))
                      .map(([field, change]) => (
                        <li key={field}>
                          {field.replace(/_id$/, "").replace(/_/g, " ")}: {showChange(field, change?.old, stageName, workspace.memberName)} → {showChange(field, change?.new, stageName, workspace.memberName)}
                        </li>
                      ))}
                  </ul>
                )}
                <div className="when" title={dateTime(at)}>{relative(at)}</div>
              </>
            ) : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
