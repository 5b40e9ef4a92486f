//! Step 3: the dry run. What committing would do (creates, updates, merges, skips, rows to
//! review, errors), the duplicates it found, stages it would add, and the values of enumerated
//! columns with where each goes — changeable here, each choice saved and previewed again.

import { Link } from "react-router";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { useWorkspace } from "../app/workspace";
import { ErrorState, ErrorText, Loading } from "../ui/States";
import { percent } from "../ui/format";
import { importKey, saveMapping, useRefreshImport } from "./api";
import { ValueMappingEditor } from "./MappingEditor";
import { OUTCOME_LABELS, fieldLabel, valueOptions, type ImportDetail } from "./model";
import { CountGrid, TableWrap } from "./parts";

/** Likeness at or above this merges by itself; below it waits for a person (the server's rule). */
const MERGE_THRESHOLD = 0.85;

type Duplicate = Schemas["ImportPreview"]["duplicates"][number];

function DuplicateRow({ duplicate, item }: { duplicate: Duplicate; item: ImportDetail }) {
  const { id: ws } = useWorkspace();
  const likeness = duplicate.key === "likeness";
  let outcome;
  if (likeness) outcome = duplicate.confidence >= MERGE_THRESHOLD ? "Fills the record’s empty fields" : "Waits for your review";
  else if (item.plan.mode === "create_only") outcome = "Skipped";
  else outcome = duplicate.earlier_row ? "Updates what the earlier row makes" : "Updates the record";
  return (
    <tr>
      <td className="num">{duplicate.row}</td>
      <td>{likeness ? "Likeness (name, company, address)" : `${fieldLabel(item.object, duplicate.key)}: ${duplicate.value ?? ""}`}</td>
      <td>
        {duplicate.record_id ? (
          <Link to={`/w/${ws}/${item.object}/${duplicate.record_id}`}>Existing record</Link>
        ) : (
          `Row ${duplicate.earlier_row} of this file`
        )}
      </td>
      <td className="num">{percent(duplicate.confidence)}</td>
      <td>{likeness && duplicate.confidence < MERGE_THRESHOLD ? <span className="badge check">{outcome}</span> : outcome}</td>
    </tr>
  );
}

export default function PreviewStep({ item, onBack }: { item: ImportDetail; onBack: () => void }) {
  const workspace = useWorkspace();
  const refresh = useRefreshImport(workspace.id, item.id);
  const path = { params: { path: { workspace_id: workspace.id, id: item.id } } };
  const preview = useQuery({
    queryKey: importKey(workspace.id, item.id, "preview"),
    queryFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/imports/{id}/preview", path)),
  });
  const choose = useMutation({
    mutationFn: (choice: { field: string; source: string; target: string | null }) => saveMapping(workspace.id, item.id, { values: [choice] }),
    onSuccess: (saved) => refresh(saved),
  });
  const commit = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/imports/{id}/commit", path)),
    onSuccess: (started) => refresh(started),
  });
  const stages = [...new Set(workspace.pipelines.flatMap((p) => p.stages.map((s) => s.name)))];
  const members = workspace.members.map((m) => ({ email: m.email, name: m.name }));

  if (preview.isPending) return <Loading label={`Trying all ${item.row_count.toLocaleString()} rows without writing anything`} />;
  if (preview.isError) return <ErrorState error={preview.error} onRetry={() => preview.refetch()} />;
  const result = preview.data;
  return (
    <>
      <section className="card" aria-labelledby="preview-title">
        <h2 id="preview-title">If you commit now</h2>
        <CountGrid counts={result.counts} labels={OUTCOME_LABELS} empty="No row would change anything." />
        {result.new_stages.length > 0 && (
          <p>
            New stages the pipeline gets: <strong>{result.new_stages.join(", ")}</strong>
          </p>
        )}
      </section>
      {result.values.length > 0 && (
        <section className="card" aria-labelledby="values-title">
          <h2 id="values-title">Values</h2>
          <p className="muted">Each distinct value of a stage, owner or other fixed-choice column, and what it becomes.</p>
          <ValueMappingEditor
            object={item.object}
            values={result.values}
            options={(field) => valueOptions(field, stages, members)}
            onChoose={(choice) => choose.mutate(choice)}
            readOnly={!workspace.canEdit}
            busy={choose.isPending || preview.isFetching}
          />
          <ErrorText error={choose.error} />
        </section>
      )}
      <section className="card" aria-labelledby="duplicates-title">
        <h2 id="duplicates-title">Duplicates ({result.duplicates.length.toLocaleString()})</h2>
        {result.duplicates.length >= 200 && <p className="muted">The first 200 are shown.</p>}
        {result.duplicates.length ? (
          <TableWrap label="Duplicates">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col" className="num">Row</th>
                  <th scope="col">Matched by</th>
                  <th scope="col">Same as</th>
                  <th scope="col" className="num">Confidence</th>
                  <th scope="col">What happens</th>
                </tr>
              </thead>
              <tbody>
                {result.duplicates.map((duplicate) => (
                  <DuplicateRow key={duplicate.row} duplicate={duplicate} item={item} />
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : (
          <p className="muted">No row matches an existing record or another row.</p>
        )}
      </section>
      {result.errors.length > 0 && (
        <section className="card" aria-labelledby="errors-title">
          <h2 id="errors-title">Rows that would fail</h2>
          <ul className="list">
            {result.errors.map((error) => (
              <li key={error.row}>
                <span>Row {error.row}</span> <span>{error.message}</span>
              </li>
            ))}
          </ul>
          {result.errors.length >= 50 && <p className="muted">The first 50 are shown; the report lists them all after the commit.</p>}
        </section>
      )}
      <ErrorText error={commit.error} />
      <div className="toolbar">
        <button onClick={onBack}>Back to the mapping</button>
        {workspace.canEdit && (
          <button className="primary" onClick={() => commit.mutate()} disabled={commit.isPending || choose.isPending}>
            {commit.isPending ? "Starting…" : `Commit ${item.row_count.toLocaleString()} rows`}
          </button>
        )}
      </div>
    </>
  );
}
