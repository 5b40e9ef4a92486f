//! Settings → Pipelines: every pipeline with its stages in order. Members and up edit a draft
//! (name, stages' names, order, probability and kind) and save it in one PATCH guarded by the
//! version they started from; viewers see the stages read-only. The server's refusals (a stage
//! or pipeline that still holds deals, a newer version) are shown in its words.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { create, remove, update } from "../api/records";
import { ApiProblem } from "../api/problem";
import { usePipelines, useWorkspace, wsKey, type Pipeline } from "../app/workspace";
import { Empty, ErrorState, Loading } from "../ui/States";
import { addStage, changeStage, draftOf, isDirty, moveStage, removeStage, STAGE_KINDS, STARTER_STAGES, toPayload, validate, type StageKind } from "./stages";
import { ConfirmDialog, Dialog, ProblemText } from "./ui";

const focusLater = (id: string) => requestAnimationFrame(() => document.getElementById(id)?.focus());
const KIND_LABELS: Record<StageKind, string> = { open: "Open", won: "Won", lost: "Lost" };

export function Pipelines() {
  const workspace = useWorkspace();
  const pipelines = usePipelines(workspace.id);
  const [creating, setCreating] = useState(false);
  const [createdId, setCreatedId] = useState<string | null>(null);
  return (
    <section className="settings-section" aria-labelledby="pipelines-title">
      <div className="section-title">
        <h2 id="pipelines-title">Pipelines</h2>
        {workspace.canEdit && <button className="primary" onClick={() => setCreating(true)}>New pipeline</button>}
      </div>
      {!workspace.canEdit && <p className="muted">Viewers see the pipelines; members, admins and owners can change them.</p>}
      {pipelines.isPending && <Loading label="Loading pipelines" />}
      {pipelines.isError && <ErrorState error={pipelines.error} onRetry={() => pipelines.refetch()} />}
      {pipelines.data?.length === 0 && <Empty title="No pipelines yet">{workspace.canEdit ? "Create one to start tracking deals by stage." : "An admin or member can create one."}</Empty>}
      {pipelines.data?.map((pipeline) =>
        workspace.canEdit ? <PipelineEditor key={pipeline.id} pipeline={pipeline} focus={pipeline.id === createdId} /> : <PipelineView key={pipeline.id} pipeline={pipeline} />,
      )}
      {creating && <NewPipeline onClose={() => setCreating(false)} onCreated={(id) => {
            setCreating(false);
            setCreatedId(id);
          }} />}
    </section>
  );
}

function PipelineView({ pipeline }: { pipeline: Pipeline }) {
  const titleId = useId();
  return (
    <section className="card settings-section" aria-labelledby={titleId}>
      <h3 id={titleId}>{pipeline.name}</h3>
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr><th scope="col">#</th><th scope="col">Stage</th><th scope="col">Probability</th><th scope="col">Kind</th></tr>
          </thead>
          <tbody>
            {draftOf(pipeline).stages.map((stage, index) => (
              <tr key={stage.key}>
                <td>{index + 1}</td>
                <td>{stage.name}</td>
                <td>{stage.percent}%</td>
                <td><span className={`badge status-${stage.kind}`}>{stage.kind}</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function PipelineEditor({ pipeline, focus }: { pipeline: Pipeline; focus: boolean }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const uid = useId();
  const nameInput = useRef<HTMLInputElement>(null);
  const [base, setBase] = useState(pipeline);
  const [draft, setDraft] = useState(() => draftOf(pipeline));
  const [deleting, setDeleting] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const dirty = isDirty(draft, base);
  const errors = validate(draft);
  const valid = Object.keys(errors).length === 0;
  // A newer version (a save of ours, or someone else's) replaces an untouched draft; an edited
  // draft is kept, and saving it is refused (412) until the user chooses.
  const stale = pipeline.version > base.version;
  if (stale && !dirty) {
    setBase(pipeline);
    setDraft(draftOf(pipeline));
  }
  useEffect(() => {
    if (focus) nameInput.current?.focus();
  }, [focus]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "pipelines") });
  const save = useMutation({
    mutationFn: () => update(workspace.id, "pipelines", pipeline.id, toPayload(draft), base.version),
    onSuccess: (saved) => {
      setBase(saved);
      setDraft(draftOf(saved));
      return refresh();
    },
    onError: (error) => error instanceof ApiProblem && error.status === 412 && refresh(),
  });
  const discard = () => {
    setBase(pipeline);
    setDraft(draftOf(pipeline));
    save.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  const stages = draft.stages;
  const setStages = (next: typeof stages) => setDraft({ ...draft, stages: next });
  const label = (index: number) => stages[index].name.trim() || `stage ${index + 1}`;
  const move = (index: number, delta: -1 | 1) => {
    const target = index + delta;
    setStages(moveStage(stages, index, delta));
    setAnnouncement(`Moved ${label(index)} to position ${target + 1} of ${stages.length}.`);
    // At an end the pressed button becomes disabled: keep focus on the row's other one.
    const atEnd = target === 0 || target === stages.length - 1;
    const direction = atEnd ? (delta < 0 ? "down" : "up") : delta < 0 ? "up" : "down";
    focusLater(`${uid}-${stages[index].key}-${direction}`);
  };
  const add = () => {
    const next = addStage(stages);
    setStages(next);
    focusLater(`${uid}-${next.find((s) => !stages.includes(s))!.key}-name`);
  };
  const drop = (index: number) => {
    const next = removeStage(stages, index);
    setStages(next);
    setAnnouncement(`Removed ${label(index)}. Save to apply.`);
    const neighbour = next[Math.min(index, next.length - 1)];
    focusLater(neighbour ? `${uid}-${neighbour.key}-remove` : `${uid}-add`);
  };
  const fieldError = (field: string) =>
    errors[field] ? <span className="settings-field-error" id={`${uid}-${field}-error`}>{errors[field]}</span> : null;
  const invalid = (field: string) => (errors[field] ? { "aria-invalid": true, "aria-describedby": `${uid}-${field}-error` } : {});

  return (
    <section className="card settings-section" aria-labelledby={`${uid}-title`}>
      <div className="section-title">
        <h3 id={`${uid}-title`}>{base.name}</h3>
        <button className="small danger" onClick={() => setDeleting(true)}>Delete pipeline</button>
      </div>
      <form className="form" onSubmit={submit}>
        <label>
          Pipeline name
          <input ref={nameInput} value={draft.name} maxLength={200} onChange={(e) => setDraft({ ...draft, name: e.target.value })} {...invalid("name")} />
          {fieldError("name")}
        </label>
        <div className="table-wrap">
          <table className="data settings-stages">
            <caption className="visually-hidden">Stages of {base.name}, in order</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Stage</th>
                <th scope="col">Probability</th>
                <th scope="col">Kind</th>
                <th scope="col"><span className="visually-hidden">Order and removal</span></th>
              </tr>
            </thead>
            <tbody>
              {stages.map((stage, index) => (
                <tr key={stage.key}>
                  <td>{index + 1}</td>
                  <td>
                    <input id={`${uid}-${stage.key}-name`} className="settings-stage-name" aria-label={`Name of stage ${index + 1}`} value={stage.name} maxLength={200}
                      onChange={(e) => setStages(changeStage(stages, index, { name: e.target.value }))} {...invalid(`${stage.key}.name`)} />
                    {fieldError(`${stage.key}.name`)}
                  </td>
                  <td>
                    <span className="settings-percent">
                      <input type="number" min={0} max={100} step="any" inputMode="decimal" aria-label={`Probability of ${label(index)}, percent`} value={stage.percent}
                        onChange={(e) => setStages(changeStage(stages, index, { percent: e.target.value }))} {...invalid(`${stage.key}.percent`)} />
                      <span aria-hidden>%</span>
                    </span>
                    {fieldError(`${stage.key}.percent`)}
                  </td>
                  <td>
                    <select aria-label={`Kind of ${label(index)}`} value={stage.kind} onChange={(e) => setStages(changeStage(stages, index, { kind: e.target.value as StageKind }))}>
                      {STAGE_KINDS.map((kind) => <option key={kind} value={kind}>{KIND_LABELS[kind]}</option>)}
                    </select>
                  </td>
                  <td>
                    <div className="settings-row-actions">
                      <button type="button" id={`${uid}-${stage.key}-up`} className="small" aria-label={`Move ${label(index)} up`} disabled={index === 0} onClick={() => move(index, -1)}>↑</button>
                      <button type="button" id={`${uid}-${stage.key}-down`} className="small" aria-label={`Move ${label(index)} down`} disabled={index === stages.length - 1} onClick={() => move(index, 1)}>↓</button>
                      <button type="button" id={`${uid}-${stage.key}-remove`} className="small danger" aria-label={`Remove ${label(index)}`} onClick={() => drop(index)}>Remove</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {errors.stages && <p className="error-text">{errors.stages}</p>}
        <div className="toolbar">
          <button type="button" id={`${uid}-add`} onClick={add}>Add stage</button>
          <span className="muted">Deals in a won or lost stage count as closed. A stage that holds deals can be renamed and moved, but not removed or given another kind.</span>
        </div>
        {stale && (
          <p className="settings-notice" role="status">
            Someone else changed this pipeline while you were editing.{" "}
            <button type="button" className="small" onClick={discard}>Discard mine and load theirs</button>
          </p>
        )}
        <ProblemText error={save.error} />
        <div className="toolbar">
          <button className="primary" disabled={!dirty || !valid || save.isPending}>{save.isPending ? "Saving…" : "Save changes"}</button>
          <button type="button" disabled={!dirty || save.isPending} onClick={discard}>Discard changes</button>
          <span className="muted" role="status">{dirty ? "Unsaved changes" : save.isSuccess ? "Saved." : ""}</span>
          <span className="visually-hidden" role="status">{announcement}</span>
        </div>
      </form>
      {deleting && (
        <ConfirmDialog title={`Delete the “${base.name}” pipeline?`} action="Delete pipeline" onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await remove(workspace.id, "pipelines", pipeline.id);
            await refresh();
          }}>
          <p>Its stages go with it. A pipeline that still holds deals cannot be deleted: move or delete its deals first.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewPipeline({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const add = useMutation({
    mutationFn: () => create(workspace.id, "pipelines", { name: name.trim(), stages: STARTER_STAGES }),
    onSuccess: async (pipeline) => {
      await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "pipelines") });
      onCreated(pipeline.id);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <Dialog title="New pipeline" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label>
          Pipeline name
          <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <p className="muted">It starts with the stages New, Won and Lost; rename them and add your own once it is created.</p>
        <ProblemText error={add.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button className="primary" disabled={add.isPending}>{add.isPending ? "Creating…" : "Create pipeline"}</button>
        </div>
      </form>
    </Dialog>
  );
}
