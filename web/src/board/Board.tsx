//! The pipeline board: a column per stage with its count and value; dragging a deal to another
//! stage moves it at once and saves it with the version it was dragged at. If someone changed
//! the deal meanwhile, the board says what changed and lets the user retry or keep theirs.

import { memo, useMemo, useState } from "react";
import { Link } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { DndContext, KeyboardSensor, PointerSensor, useDraggable, useDroppable, useSensor, useSensors, type DragEndEvent, type KeyboardCoordinateGetter } from "@dnd-kit/core";
import { get, listAll, update } from "../api/records";
import { ApiProblem } from "../api/problem";
import { useWorkspace, wsKey, type Stage } from "../app/workspace";
import { columns, differences, moved, usualCurrency, type Deal, type Difference } from "./model";
import { Empty, ErrorState, ErrorText, Loading } from "../ui/States";
import { date, money } from "../ui/format";
import { useUrlParams } from "../ui/useUrlParams";
import { MemberOptions } from "../records/Values";

/** Arrow keys carry a lifted card to the next or previous stage (then the won and lost zones). */
const stageByStage: KeyboardCoordinateGetter = (event, { context: { droppableRects, collisionRect } }) => {
  const step = event.code === "ArrowRight" || event.code === "ArrowDown" ? 1 : event.code === "ArrowLeft" || event.code === "ArrowUp" ? -1 : 0;
  if (!step || !collisionRect) return undefined;
  event.preventDefault();
  const targets = [...droppableRects.values()].sort((a, b) => a.top - b.top || a.left - b.left);
  const centre = { x: collisionRect.left + collisionRect.width / 2, y: collisionRect.top + collisionRect.height / 2 };
  const current = targets.findIndex((r) => centre.x >= r.left && centre.x <= r.left + r.width && centre.y >= r.top && centre.y <= r.top + r.height);
  const next = targets[Math.min(targets.length - 1, Math.max(0, current + step))];
  if (!next) return undefined;
  return { x: next.left + next.width / 2 - collisionRect.width / 2, y: next.top + Math.min(40, next.height / 4) };
};

type Conflict = { deal: Deal; theirs: Deal; stageId: string; changes: Difference[] };

/** What a card shows. Kept apart from the drag wiring below, which every card re-runs whenever
 * a drag starts or ends: with a thousand cards, only this memo keeps a drop quick. */
const CardBody = memo(function CardBody({ deal, ws, ownerName }: { deal: Deal; ws: string; ownerName: string }) {
  return (
    <>
      <Link to={`/w/${ws}/deals/${deal.id}`} className="deal-name">
        {deal.name}
      </Link>
      <div className="deal-meta">
        <strong>{money(deal.amount, deal.currency)}</strong>
        <span>{deal.close_date ? date(deal.close_date) : "No close date"}</span>
      </div>
      <div className="deal-owner muted">{ownerName}</div>
    </>
  );
});

/** A deal on the board. The whole card drags with the pointer; its handle is the keyboard's way in
 * (focus it, Space to lift, arrows to move, Space to drop). */
const DealCard = memo(function DealCard({ deal, ws, ownerName, canDrag }: { deal: Deal; ws: string; ownerName: string; canDrag: boolean }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, isDragging } = useDraggable({ id: deal.id, disabled: !canDrag });
  const style = transform ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)` } : undefined;
  return (
    <div ref={setNodeRef} style={style} className={`deal-card ${isDragging ? "dragging" : ""} ${canDrag ? "" : "locked"}`} data-deal-id={deal.id} {...(canDrag ? listeners : {})}>
      {canDrag && (
        <button ref={setActivatorNodeRef} className="drag-handle ghost small" {...attributes} aria-label={`Move ${deal.name}`}>
          ⠿
        </button>
      )}
      <CardBody deal={deal} ws={ws} ownerName={ownerName} />
    </div>
  );
});

function StageColumn({ stage, children, count, value, currency }: { stage: Stage; children: React.ReactNode; count: number; value: number; currency: string | null }) {
  const { setNodeRef, isOver } = useDroppable({ id: stage.id ?? stage.name });
  return (
    <section ref={setNodeRef} className={`stage-column ${isOver ? "over" : ""} kind-${stage.kind ?? "open"}`} aria-label={`${stage.name}: ${count} deals`} data-stage-id={stage.id}>
      <header>
        <h2>{stage.name}</h2>
        <div className="stage-totals">
          <span className="count">{count}</span> · {money(value, currency, true)}
        </div>
      </header>
      <div className="stage-cards">{children}</div>
    </section>
  );
}

function ConflictDialog({ conflict, onRetry, onDismiss, stageName }: { conflict: Conflict; onRetry: () => void; onDismiss: () => void; stageName: (id: unknown) => string }) {
  const show = (field: string, value: unknown) =>
    value === null ? "—" : field === "stage_id" ? stageName(value) : field === "amount" ? money(Number(value), conflict.theirs.currency) : String(value);
  return (
    <div className="overlay">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="conflict-title">
        <h2 id="conflict-title">{conflict.deal.name} was changed by someone else</h2>
        <p>Your move to <strong>{stageName(conflict.stageId)}</strong> was not saved. Since you loaded it:</p>
        {conflict.changes.length ? (
          <table className="diff">
            <thead>
              <tr><th>Field</th><th>You saw</th><th>Now</th></tr>
            </thead>
            <tbody>
              {conflict.changes.map((c) => (
                <tr key={c.field}><td>{c.label}</td><td>{show(c.field, c.mine)}</td><td>{show(c.field, c.theirs)}</td></tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">Only fields not shown on the board changed.</p>
        )}
        <div className="dialog-actions">
          <button className="primary" onClick={onRetry} autoFocus>Move it to {stageName(conflict.stageId)} anyway</button>
          <button onClick={onDismiss}>Keep their version</button>
        </div>
      </div>
    </div>
  );
}

export default function Board() {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const { params, setParam } = useUrlParams();
  const pipeline = workspace.pipelines.find((p) => p.id === params.get("pipeline")) ?? workspace.pipelines[0];
  const ownerId = params.get("owner") ?? "";
  const query = params.get("q") ?? "";
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = wsKey(workspace.id, "deals", "board", pipeline?.id);
  const deals = useQuery({
    queryKey: key,
    queryFn: () => listAll(workspace.id, "deals", { pipeline_id: pipeline?.id, status: "open" }),
    enabled: !!pipeline,
  });
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor, { coordinateGetter: stageByStage }));
  const openStages = useMemo(() => pipeline?.stages.filter((s) => (s.kind ?? "open") === "open") ?? [], [pipeline]);
  const closedStages = useMemo(() => pipeline?.stages.filter((s) => s.kind === "won" || s.kind === "lost") ?? [], [pipeline]);
  const currency = useMemo(() => usualCurrency(deals.data ?? []), [deals.data]);
  const board = useMemo(() => columns(openStages, deals.data ?? [], { ownerId, query }), [openStages, deals.data, ownerId, query]);
  const stageName = (id: unknown) => pipeline?.stages.find((s) => s.id === id)?.name ?? "another stage";

  async function move(deal: Deal, stageId: string, version: number) {
    setError(null);
    const before = queryClient.getQueryData<Deal[]>(key);
    queryClient.setQueryData<Deal[]>(key, (current) => {
      const next = moved(current ?? [], deal.id, stageId);
      // Won and lost deals leave the board of open deals.
      return closedStages.some((s) => s.id === stageId) ? next.filter((d) => d.id !== deal.id) : next;
    });
    try {
      const saved = await update(workspace.id, "deals", deal.id, { stage_id: stageId }, version);
      queryClient.setQueryData<Deal[]>(key, (current) => (current ?? []).map((d) => (d.id === saved.id ? saved : d)));
      queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "summary") });
    } catch (caught) {
      queryClient.setQueryData(key, before);
      if (caught instanceof ApiProblem && caught.status === 412) {
        // Their version may itself be gone (deleted meanwhile): then that is the error to show.
        const theirs = await get(workspace.id, "deals", deal.id).catch((gone: unknown) => {
          setError(gone);
          return null;
        });
        if (theirs) setConflict({ deal, theirs, stageId, changes: differences(deal, theirs) });
      } else {
        setError(caught);
      }
    }
  }

  function onDragEnd(event: DragEndEvent) {
    const deal = deals.data?.find((d) => d.id === event.active.id);
    const stageId = event.over?.id;
    if (!deal || typeof stageId !== "string" || stageId === deal.stage_id) return;
    void move(deal, stageId, deal.version);
  }

  if (!pipeline) return <Empty title="No pipeline yet">Create one in Settings.</Empty>;
  return (
    <div className="page board-page">
      <header className="page-header">
        <h1>Pipeline</h1>
        <div className="toolbar">
          {workspace.pipelines.length > 1 && (
            <label>
              <span className="visually-hidden">Pipeline</span>
              <select aria-label="Pipeline" value={pipeline.id} onChange={(e) => setParam("pipeline", e.target.value)}>
                {workspace.pipelines.map((p) => (
                  <option key={p.id} value={p.id}>{p.name}</option>
                ))}
              </select>
            </label>
          )}
          <select aria-label="Owner" value={ownerId} onChange={(e) => setParam("owner", e.target.value)}>
            <option value="">Everyone</option>
            <MemberOptions />
          </select>
          <input type="search" aria-label="Search deals" placeholder="Search deals" value={query} onChange={(e) => setParam("q", e.target.value)} />
          {workspace.canEdit && <Link className="button primary" to={`/w/${workspace.id}/deals?new=1`}>New deal</Link>}
        </div>
      </header>
      <ErrorText error={error} />
      {deals.isPending && <Loading label="Loading deals" />}
      {deals.isError && <ErrorState error={deals.error} onRetry={() => deals.refetch()} />}
      {deals.data && (
        <DndContext sensors={sensors} onDragEnd={onDragEnd}>
          <div className="board">
            {board.map((column) => (
              <StageColumn key={column.stage.id} stage={column.stage} count={column.deals.length} value={column.value} currency={currency}>
                {column.deals.map((deal) => (
                  <DealCard key={deal.id} deal={deal} ws={workspace.id} ownerName={workspace.memberName(deal.owner_id)} canDrag={workspace.canEdit} />
                ))}
              </StageColumn>
            ))}
          </div>
          {workspace.canEdit && closedStages.length > 0 && (
            <div className="close-zones" aria-label="Close a deal">
              {closedStages.map((stage) => (
                <CloseZone key={stage.id} stage={stage} />
              ))}
            </div>
          )}
        </DndContext>
      )}
      {conflict && (
        <ConflictDialog
          conflict={conflict}
          stageName={stageName}
          onRetry={() => {
            setConflict(null);
            void move(conflict.theirs, conflict.stageId, conflict.theirs.version);
          }}
          onDismiss={() => {
            setConflict(null);
            void queryClient.invalidateQueries({ queryKey: key });
          }}
        />
      )}
    </div>
  );
}

function CloseZone({ stage }: { stage: Stage }) {
  const { setNodeRef, isOver } = useDroppable({ id: stage.id ?? stage.name });
  return (
    <div ref={setNodeRef} className={`close-zone kind-${stage.kind} ${isOver ? "over" : ""}`} data-stage-id={stage.id}>
      Drop here: {stage.name}
    </div>
  );
}
