//! The rows an import found probably, but not surely, the same as an existing record: each
//! beside its candidate, field by field, to merge into it, create as new, or skip. A decision is
//! applied at once and undone with the rest of the import.

import { Link } from "react-router";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, request, unwrap, type Schemas } from "../api/client";
import { useWorkspace } from "../app/workspace";
import { ErrorState, ErrorText, Loading } from "../ui/States";
import { percent } from "../ui/format";
import { importKey, importsPath, useRefreshImport } from "./api";
import { fieldLabel, type ImportDetail } from "./model";
import { TableWrap } from "./parts";

type Item = Schemas["ImportReviewItem"];
type Decision = "merge" | "create" | "skip";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && UUID.test(value)) return "a linked record";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The row's fields and attributes beside the candidate's. */
function comparison(item: Item, object: ImportDetail["object"]): [string, string, string][] {
  const { attributes, ...fields } = item.proposal as Record<string, unknown> & { attributes?: Record<string, unknown> };
  const candidate = item.candidate ?? {};
  const theirs = (candidate.attributes ?? {}) as Record<string, unknown>;
  return [
    ...Object.entries(fields).map(([key, value]): [string, string, string] => [fieldLabel(object, key), show(value), show(candidate[key])]),
    ...Object.entries(attributes ?? {}).map(([key, value]): [string, string, string] => [`Attribute “${key}”`, show(value), show(theirs[key])]),
  ];
}

function candidateName(candidate: Record<string, unknown>): string {
  const name = candidate.name ?? [candidate.first_name, candidate.last_name].filter(Boolean).join(" ");
  return show(name || candidate.email || candidate.domain);
}

function ReviewCard({ item, detail, onDecide, busy, canEdit }: { item: Item; detail: ImportDetail; onDecide: (decision: Decision) => void; busy: boolean; canEdit: boolean }) {
  const { id: ws } = useWorkspace();
  const title = `review-${item.row}`;
  return (
    <li className="card review-item" aria-labelledby={title}>
      <h3 id={title}>
        Line {item.line}: {percent(item.confidence)} alike{" "}
        {item.candidate ? (
          <Link to={`/w/${ws}/${detail.object}/${String(item.candidate.id)}`}>{candidateName(item.candidate)}</Link>
        ) : (
          <span className="muted">(the candidate was deleted since)</span>
        )}
      </h3>
      <TableWrap label={`Line ${item.line} beside the existing record`}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">In the file</th>
              <th scope="col">Existing record</th>
            </tr>
          </thead>
          <tbody>
            {comparison(item, detail.object).map(([label, mine, theirs]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{mine}</td>
                <td>{theirs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {canEdit && (
        <div className="toolbar">
          <button className="primary" onClick={() => onDecide("merge")} disabled={busy || !item.candidate}>
            Merge into it
          </button>
          <button onClick={() => onDecide("create")} disabled={busy}>
            Create a new record
          </button>
          <button className="ghost" onClick={() => onDecide("skip")} disabled={busy}>
            Skip the row
          </button>
        </div>
      )}
    </li>
  );
}

export default function ReviewQueue({ item }: { item: ImportDetail }) {
  const workspace = useWorkspace();
  const refresh = useRefreshImport(workspace.id, item.id);
  const path = { workspace_id: workspace.id, id: item.id };
  const queue = useQuery({
    queryKey: importKey(workspace.id, item.id, "review"),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/imports/{id}/review", { params: { path, query: { limit: "50" } } })),
  });
  const decide = useMutation({
    mutationFn: ({ row, decision }: { row: number; decision: Decision }) =>
      request(`${importsPath(workspace.id)}/${item.id}/review/${row}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ decision }),
      }),
    onSuccess: () => refresh(),
  });

  let body;
  if (queue.isPending) body = <Loading label="Loading the rows to review" />;
  else if (queue.isError) body = <ErrorState error={queue.error} onRetry={() => queue.refetch()} />;
  else if (!queue.data.items.length) body = <p className="muted">Nothing is waiting.</p>;
  else
    body = (
      <ul className="review-list">
        {queue.data.items.map((row) => (
          <ReviewCard key={row.row} item={row} detail={item} busy={decide.isPending} canEdit={workspace.canEdit} onDecide={(decision) => decide.mutate({ row: row.row, decision })} />
        ))}
      </ul>
    );
  return (
    <section className="card" aria-labelledby="review-title">
      <h2 id="review-title">Likely duplicates to review ({(item.counts.review ?? 0).toLocaleString()})</h2>
      <p className="muted">Merging fills only the existing record’s empty fields; its own values stay.</p>
      <ErrorText error={decide.error} />
      {body}
    </section>
  );
}
