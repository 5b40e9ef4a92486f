//! The rows of an import with one outcome (the failures, or what undo left alone), each with its
//! line in the file, why, and its values under the file's own column names; a page at a time.

import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useWorkspace } from "../app/workspace";
import { ErrorState, Loading } from "../ui/States";
import { importKey } from "./api";
import type { ImportDetail } from "./model";
import { TableWrap } from "./parts";

const PAGE = 100;

export default function RowsTable({ item, outcome, title }: { item: ImportDetail; outcome: "error" | "conflict"; title: string }) {
  const workspace = useWorkspace();
  const rows = useInfiniteQuery({
    queryKey: importKey(workspace.id, item.id, "rows", outcome),
    initialPageParam: "0",
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/imports/{id}/rows", {
          params: { path: { workspace_id: workspace.id, id: item.id }, query: { outcome, after: pageParam, limit: String(PAGE) } },
        }),
      ),
    getNextPageParam: (last) => (last.next_after === null ? undefined : String(last.next_after)),
  });
  const headers = item.layout.headers;
  const id = `rows-${outcome}`;

  let body;
  if (rows.isPending) body = <Loading label="Loading rows" />;
  else if (rows.isError) body = <ErrorState error={rows.error} onRetry={() => rows.refetch()} />;
  else
    body = (
      <>
        <TableWrap label={title}>
          <table className="data rows-table">
            <thead>
              <tr>
                <th scope="col" className="num">Line</th>
                <th scope="col">Why</th>
                <th scope="col">Values</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.pages.flatMap((page) =>
                page.items.map((row) => (
                  <tr key={row.row}>
                    <td className="num">{row.line}</td>
                    <td className="reason">{row.message ?? "—"}</td>
                    <td className="reason">
                      {row.values
                        .map((value, index) => [headers[index] ?? `column ${index + 1}`, value])
                        .filter(([, value]) => value)
                        .map(([header, value]) => `${header}: ${value}`)
                        .join(" · ")}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </TableWrap>
        {rows.hasNextPage && (
          <div className="toolbar">
            <button onClick={() => rows.fetchNextPage()} disabled={rows.isFetchingNextPage}>
              {rows.isFetchingNextPage ? "Loading…" : `Show ${PAGE} more`}
            </button>
          </div>
        )}
      </>
    );
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {body}
    </section>
  );
}
