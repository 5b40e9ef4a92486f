//! Insights: what the rules found (stalled deals, slipping dates, coverage…), most urgent
//! first, each with the actions that address it and a read mark.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { useWorkspace, wsKey } from "../app/workspace";
import { Empty, ErrorState, ErrorText, Loading } from "../ui/States";
import { relative } from "../ui/format";

type Insight = Schemas["Insight"];

const ACTION_LABELS: Record<string, string> = {
  log_activity: "Log an activity",
  create_task: "Create a task",
  update_stage: "Move stage",
  update_close_date: "Change close date",
  mark_won: "Mark won",
  mark_lost: "Mark lost",
  review_pipeline: "Review pipeline",
  add_pipeline: "Add pipeline",
};

function actionLink(ws: string, insight: Insight, action: string): string {
  if (!insight.deal_id) return action === "review_pipeline" || action === "add_pipeline" ? `/w/${ws}/board` : `/w/${ws}/forecast`;
  const hash = { log_activity: "#log", create_task: "#task" }[action] ?? "";
  return `/w/${ws}/deals/${insight.deal_id}${hash}`;
}

export function InsightList({ unreadOnly = false, limit = 100 }: { unreadOnly?: boolean; limit?: number }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const insights = useQuery({
    queryKey: wsKey(workspace.id, "insights", { unreadOnly, limit }),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/insights", {
          params: { path: { workspace_id: workspace.id }, query: { unread: unreadOnly ? "true" : undefined, status: "open", limit: String(limit) } },
        }),
      ),
  });
  const mark = useMutation({
    mutationFn: ({ id, is_read }: { id: string; is_read: boolean }) =>
      unwrap(api.PATCH("/api/v1/workspaces/{workspace_id}/insights/{id}", { params: { path: { workspace_id: workspace.id, id } }, body: { is_read } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "insights") }),
  });
  if (insights.isPending) return <Loading label="Loading insights" />;
  if (insights.isError) return <ErrorState error={insights.error} onRetry={() => insights.refetch()} />;
  if (insights.data.items.length === 0)
    return <Empty title={unreadOnly ? "You're all caught up" : "No open insights"}>Insights appear as deals stall, slip or get ready to close.</Empty>;
  return (
    <>
      <ErrorText error={mark.error} />
      <ul className="insights">
        {insights.data.items.map((insight) => (
          <li key={insight.id} className={`insight ${insight.is_read ? "read" : ""}`}>
            <div className="insight-head">
              <span className={`badge priority-${insight.priority}`}>{insight.priority}</span>
              <span className={`badge type-${insight.type}`}>{insight.type}</span>
              <strong>{insight.title}</strong>
              <span className="muted">{relative(insight.updated_at ?? insight.created_at)}</span>
            </div>
            <p>{insight.description}</p>
            <div className="insight-actions">
              {insight.actions.map((action) => (
                <Link key={action} className="button small" to={actionLink(workspace.id, insight, action)}>
                  {ACTION_LABELS[action] ?? action.replace(/_/g, " ")}
                </Link>
              ))}
              <button className="ghost small" onClick={() => mark.mutate({ id: insight.id, is_read: !insight.is_read })} disabled={mark.isPending}>
                {insight.is_read ? "Mark unread" : "Mark read"}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
