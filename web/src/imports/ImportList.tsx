//! The workspace's imports, newest first: each file with what it was imported as, where it
//! stands and what it did, linking to its wizard or report. Members start new ones here.

import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useWorkspace, wsKey } from "../app/workspace";
import { Empty, ErrorState, Loading } from "../ui/States";
import { dateTime, relative } from "../ui/format";
import { OBJECTS, type Import } from "./model";
import { StatusBadge, TableWrap } from "./parts";

function countsText(item: Import): string {
  const counts = item.counts;
  const parts: [string, number | undefined][] = [
    ["created", counts.created],
    ["updated", counts.updated],
    ["merged", counts.merged],
    ["skipped", counts.skipped],
    ["to review", counts.review],
    ["errors", counts.errors],
    ["undone", counts.undone],
  ];
  return parts.filter(([, n]) => n).map(([label, n]) => `${n?.toLocaleString()} ${label}`).join(" · ") || "—";
}

export default function ImportList() {
  const workspace = useWorkspace();
  const imports = useQuery({
    queryKey: wsKey(workspace.id, "imports"),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/imports", { params: { path: { workspace_id: workspace.id } } })),
  });
  const newImport = workspace.canEdit && (
    <Link className="button primary" to={`/w/${workspace.id}/imports/new`}>
      New import
    </Link>
  );

  let body;
  if (imports.isPending) body = <Loading label="Loading imports" />;
  else if (imports.isError) body = <ErrorState error={imports.error} onRetry={() => imports.refetch()} />;
  else if (!imports.data.items.length)
    body = (
      <Empty title="No imports yet">
        {workspace.canEdit ? "Bring contacts, accounts, deals, activities or products in from a CSV or TSV export." : "Members of this workspace can import files; their imports will be listed here."}
      </Empty>
    );
  else
    body = (
      <TableWrap label="Imports">
        <table className="data imports-table">
          <caption className="visually-hidden">Imports, newest first</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Imported as</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">Rows</th>
              <th scope="col">Outcome</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {imports.data.items.map((item) => (
              <tr key={item.id}>
                <td>
                  <Link to={`/w/${workspace.id}/imports/${item.id}`}>{item.file_name}</Link>
                </td>
                <td>{OBJECTS[item.object]}</td>
                <td>
                  <StatusBadge status={item.status} />
                </td>
                <td className="num">{item.row_count.toLocaleString()}</td>
                <td className="outcome">{countsText(item)}</td>
                <td>
                  <time dateTime={item.created_at} title={dateTime(item.created_at)}>
                    {relative(item.created_at)}
                  </time>
                  <div className="muted">by {workspace.memberName(item.created_by)}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    );

  return (
    <div className="page">
      <header className="page-header">
        <h1>Imports</h1>
        {newImport}
      </header>
      {body}
    </div>
  );
}
