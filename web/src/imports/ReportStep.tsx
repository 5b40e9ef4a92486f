//! Step 5: the report. What the import did, the rows that failed (and the error file to fix and
//! upload again), the original file, the likely duplicates waiting for a person, and undo —
//! with its own progress bar while it runs and the conflicts it left alone afterwards.

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useWorkspace } from "../app/workspace";
import { ErrorText } from "../ui/States";
import { dateTime, relative } from "../ui/format";
import { download, importsPath, useRefreshImport } from "./api";
import { OUTCOME_LABELS, undoTotal, type ImportDetail } from "./model";
import { CountGrid, ProgressBar } from "./parts";
import ReviewQueue from "./ReviewQueue";
import RowsTable from "./RowsTable";

const REPORT_LABELS: [string, string][] = [...OUTCOME_LABELS, ["undone", "Undone"], ["conflicts", "Conflicts"]];

function When({ at }: { at: string }) {
  return (
    <time dateTime={at} title={dateTime(at)}>
      {relative(at)}
    </time>
  );
}

function Status({ item }: { item: ImportDetail }) {
  const counts = item.counts;
  switch (item.status) {
    case "failed":
      return (
        <div className="error-text" role="alert">
          The import stopped: {item.failure ?? "an unexpected error"}. The rows before it were written; undo reverts them.
        </div>
      );
    case "undoing":
      return <ProgressBar label="Undone" done={(counts.undone ?? 0) + (counts.conflicts ?? 0)} total={undoTotal(counts)} />;
    case "undone":
      return (
        <p>
          Undone <When at={item.updated_at} />: the records it created were deleted (they can be restored) and the ones it changed got their earlier values back.
          {counts.conflicts ? ` ${counts.conflicts.toLocaleString()} edited since were left alone.` : ""}
        </p>
      );
    default:
      return (
        <p>
          Committed <When at={item.updated_at} /> from {item.row_count.toLocaleString()} rows.
        </p>
      );
  }
}

function DownloadButton({ path, name, label }: { path: string; name: string; label: string }) {
  const run = useMutation({ mutationFn: () => download(path, name) });
  return (
    <>
      <button onClick={() => run.mutate()} disabled={run.isPending}>
        {run.isPending ? "Downloading…" : label}
      </button>
      <ErrorText error={run.error} />
    </>
  );
}

function UndoControl({ item }: { item: ImportDetail }) {
  const workspace = useWorkspace();
  const refresh = useRefreshImport(workspace.id, item.id);
  const [asking, setAsking] = useState(false);
  const undo = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/imports/{id}/undo", { params: { path: { workspace_id: workspace.id, id: item.id } } })),
    onSuccess: (started) => {
      setAsking(false);
      refresh(started);
    },
  });
  if (!asking) {
    return (
      <button className="danger" onClick={() => setAsking(true)}>
        Undo import
      </button>
    );
  }
  const changed = (item.counts.updated ?? 0) + (item.counts.merged ?? 0);
  return (
    <div className="confirm" role="group" aria-labelledby="undo-question">
      <span id="undo-question">
        Delete the {(item.counts.created ?? 0).toLocaleString()} records this import created and give the {changed.toLocaleString()} it changed their earlier values back? Records
        edited since are left alone.
      </span>
      <button className="danger" onClick={() => undo.mutate()} disabled={undo.isPending} autoFocus>
        {undo.isPending ? "Starting…" : "Yes, undo it"}
      </button>
      <button onClick={() => setAsking(false)}>Cancel</button>
      <ErrorText error={undo.error} />
    </div>
  );
}

export default function ReportStep({ item }: { item: ImportDetail }) {
  const workspace = useWorkspace();
  const base = `${importsPath(workspace.id)}/${item.id}`;
  const undoable = item.status === "committed" || item.status === "failed";
  return (
    <>
      <section className="card" aria-labelledby="report-title">
        <h2 id="report-title">Report</h2>
        <Status item={item} />
        <CountGrid counts={item.counts} labels={REPORT_LABELS} empty="No row changed anything." />
        <div className="toolbar report-actions">
          {(item.counts.errors ?? 0) > 0 && <DownloadButton path={`${base}/errors.csv`} name={`errors-${item.file_name}`} label="Download the error file" />}
          <DownloadButton path={`${base}/file`} name={item.file_name} label="Download the original file" />
          {workspace.canEdit && undoable && <UndoControl item={item} />}
        </div>
      </section>
      {item.status === "committed" && (item.counts.review ?? 0) > 0 && <ReviewQueue item={item} />}
      {(item.counts.errors ?? 0) > 0 && <RowsTable item={item} outcome="error" title="Rows that failed" />}
      {(item.counts.conflicts ?? 0) > 0 && <RowsTable item={item} outcome="conflict" title="Rows undo left alone" />}
    </>
  );
}
