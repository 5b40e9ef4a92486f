//! A record's page, and for contacts the Client 360: a header with the key facts (and for a
//! deal its win probability and health), the timeline of activities and changes, the related
//! deals, contacts and tasks, and the quick actions.

import { useState } from "react";
import { Link, Navigate, useLocation, useNavigate, useParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { get, history, list, remove, update, type Stored } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { OBJECTS, isTableObject, toApiValue, type TableObject } from "../tables/objects";
import { EditValue, ShowValue } from "./Values";
import { RecordPicker } from "./RecordPicker";
import { mergeTimeline, Timeline } from "./Timeline";
import { QuickActions, type Links } from "./QuickActions";
import { TaskRow } from "../tasks/TaskRow";
import { ErrorState, ErrorText, Loading } from "../ui/States";
import { money, percent } from "../ui/format";

type Page = {
  record: Stored<TableObject>;
  account?: Stored<"accounts"> | null;
  contacts: Stored<"contacts">[];
  deals: Stored<"deals">[];
  activities: Stored<"activities">[];
  tasks: Stored<"tasks">[];
  history: Schemas["Event"][];
  score?: Schemas["DealScore"];
};

/** Fields the heading already shows. */
const NAME_FIELDS = new Set(["name", "first_name", "last_name"]);
/** What the edit form offers: the editable columns, then the new-record form's other fields. */
function editFields(spec: (typeof OBJECTS)["deals"]) {
  const editable = spec.columns.filter((c) => c.editable);
  return [...editable, ...spec.form.filter((f) => !editable.some((c) => c.field === f.field))];
}

const RELATED = { sort: "-created_at", limit: 100 };

async function loadPage(ws: string, object: TableObject, id: string): Promise<Page> {
  if (object === "contacts") {
    const dossier = await unwrap(api.GET("/api/v1/workspaces/{workspace_id}/contacts/{id}/360", { params: { path: { workspace_id: ws, id } } }));
    return { record: dossier.contact as Stored<"contacts">, account: dossier.account as Stored<"accounts"> | null, contacts: [], deals: dossier.deals as Stored<"deals">[], activities: dossier.activities as Stored<"activities">[], tasks: dossier.tasks as Stored<"tasks">[], history: dossier.history };
  }
  const record = await get(ws, object, id);
  const events = history(ws, object, id);
  if (object === "products") return { record, contacts: [], deals: [], activities: [], tasks: [], history: await events };
  const key = object === "deals" ? "deal_id" : "account_id";
  const [activities, tasks, related] = await Promise.all([
    list(ws, "activities", { [key]: id, sort: "-occurred_at", limit: 100 }),
    list(ws, "tasks", { [key]: id, sort: "due_at", limit: 100 }),
    object === "accounts"
      ? Promise.all([list(ws, "contacts", { account_id: id, ...RELATED }), list(ws, "deals", { account_id: id, ...RELATED })])
      : Promise.all([
          Promise.all(((record as Stored<"deals">).contact_ids ?? []).slice(0, 20).map((c) => get(ws, "contacts", c).catch(() => null))),
          Promise.resolve({ items: [] as Stored<"deals">[] }),
        ]),
  ]);
  const deal = object === "deals" ? (record as Stored<"deals">) : null;
  const [account, score] = await Promise.all([
    deal?.account_id ? get(ws, "accounts", deal.account_id).catch(() => null) : Promise.resolve(null),
    deal ? unwrap(api.GET("/api/v1/workspaces/{workspace_id}/deals/{id}/score", { params: { path: { workspace_id: ws, id } } })).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const contacts = Array.isArray(related[0]) ? related[0].filter((c): c is Stored<"contacts"> => c !== null) : related[0].items;
  return { record, account, contacts, deals: related[1].items, activities: activities.items, tasks: tasks.items, history: await events, score };
}

export default function RecordPage() {
  const { object, id = "" } = useParams();
  if (!isTableObject(object)) return <Navigate to=".." replace />;
  return <RecordView key={`${object}/${id}`} object={object} id={id} />;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <div className="fact-label">{label}</div>
      <div className="fact-value">{children}</div>
    </div>
  );
}

function RecordView({ object, id }: { object: TableObject; id: string }) {
  const workspace = useWorkspace();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const spec = OBJECTS[object] as unknown as (typeof OBJECTS)["deals"];
  const [editing, setEditing] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const page = useQuery({ queryKey: wsKey(workspace.id, object, id, "page"), queryFn: () => loadPage(workspace.id, object, id) });
  if (page.isPending) return <Loading label={`Loading ${spec.singular}`} />;
  if (page.isError) return <ErrorState error={page.error} onRetry={() => page.refetch()} />;
  const { record, account, contacts, deals, activities, tasks, score } = page.data;
  const values = record as unknown as Record<string, unknown>;
  const deal = object === "deals" ? (record as Stored<"deals">) : null;
  const links: Links =
    object === "contacts"
      ? { contact_id: id, account_id: (record as Stored<"contacts">).account_id }
      : object === "accounts"
        ? { account_id: id }
        : object === "deals"
          ? { deal_id: id, account_id: deal?.account_id }
          : {};

  const save = async (changes: Record<string, unknown>) => {
    setError(null);
    try {
      await update(workspace.id, object, id, changes as never, record.version);
      setEditing(null);
      await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id) });
    } catch (caught) {
      setError(caught);
    }
  };
  const submitEdit = () => {
    if (!editing) return;
    const changes: Record<string, unknown> = {};
    for (const column of editFields(spec)) {
      const next = toApiValue(column.kind, editing[column.field] ?? "");
      if (next !== (values[column.field] ?? null)) changes[column.field] = next;
    }
    void save(changes);
  };
  const pipeline = deal ? workspace.pipelines.find((p) => p.id === deal.pipeline_id) : undefined;
  const closingStage = (kind: "won" | "lost") => pipeline?.stages.find((s) => s.kind === kind)?.id;

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to={`/w/${workspace.id}/${object}`}>{spec.title}</Link> /
      </nav>
      <header className="card record-header">
        <div>
          <h1>{spec.label(record as never)}</h1>
          <div className="facts">
            {spec.columns.filter((c) => !NAME_FIELDS.has(c.field)).map((column) => (
              <Fact key={column.field} label={column.label}>
                <ShowValue kind={column.kind} value={values[column.field]} currency={values.currency as string | null} />
              </Fact>
            ))}
            {account && (
              <Fact label="Account">
                <Link to={`/w/${workspace.id}/accounts/${account.id}`}>{account.name}</Link>
              </Fact>
            )}
            {score && (
              <>
                <Fact label="Win probability">{percent(score.win_probability)}</Fact>
                <Fact label="Health">
                  <span className={`badge band-${score.health_band}`}>{score.health} · {score.health_band}</span>
                </Fact>
              </>
            )}
          </div>
        </div>
        {workspace.canEdit && (
          <div className="toolbar">
            {deal?.status === "open" && closingStage("won") && <button onClick={() => save({ stage_id: closingStage("won") })}>Mark won</button>}
            {deal?.status === "open" && closingStage("lost") && <button onClick={() => save({ stage_id: closingStage("lost") })}>Mark lost</button>}
            <button onClick={() => setEditing(Object.fromEntries(editFields(spec).map((c) => [c.field, values[c.field] == null ? "" : String(values[c.field])])))}>Edit</button>
            <button
              className="danger"
              onClick={async () => {
                if (!window.confirm(`Delete this ${spec.singular}? It can be restored later.`)) return;
                try {
                  await remove(workspace.id, object, id);
                  await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, object) });
                  navigate(`/w/${workspace.id}/${object}`);
                } catch (caught) {
                  setError(caught);
                }
              }}
            >
              Delete
            </button>
          </div>
        )}
      </header>
      <ErrorText error={error} />
      {editing && (
        <form
          className="card form"
          aria-label={`Edit ${spec.singular}`}
          onSubmit={(e) => {
            e.preventDefault();
            submitEdit();
          }}
        >
          <div className="form-row">
            {editFields(spec).map((column) => (
                <label key={column.field}>
                  {column.label}
                  <EditValue kind={column.kind} label={column.label} options={column.options} pipelineId={deal?.pipeline_id} value={editing[column.field] ?? ""} onChange={(value) => setEditing({ ...editing, [column.field]: value })} />
                </label>
              ))}
          </div>
          <div className="dialog-actions">
            <button type="button" onClick={() => setEditing(null)}>Cancel</button>
            <button className="primary">Save</button>
          </div>
        </form>
      )}
      <div className="record-layout">
        <section className="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          {object !== "products" && <QuickActions links={links} initial={location.hash === "#log" ? "call" : location.hash === "#task" ? "task" : undefined} />}
          <Timeline items={mergeTimeline(activities, page.data.history)} />
        </section>
        <aside className="side-panels">
          {score && score.factors.length > 0 && (
            <section className="card" aria-labelledby="factors-title">
              <h2 id="factors-title">Why this score</h2>
              <p className="muted">{score.health_explanation}</p>
              <ul className="list">
                {score.factors.map((factor) => (
                  <li key={factor.name}>
                    <span>{factor.detail}</span>
                    <span className={`badge ${factor.direction === "positive" ? "band-good" : "band-poor"}`}>{factor.direction === "positive" ? "▲" : "▼"}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {object !== "products" && object !== "deals" && (
            <section className="card" aria-labelledby="deals-title">
              <h2 id="deals-title">Deals</h2>
              {deals.length === 0 ? <p className="muted">No deals yet.</p> : (
                <ul className="list">
                  {deals.map((d) => (
                    <li key={d.id}>
                      <Link to={`/w/${workspace.id}/deals/${d.id}`}>{d.name}</Link>
                      <span>{money(d.amount, d.currency, true)} · <span className={`badge status-${d.status}`}>{workspace.stage(d.stage_id)?.name ?? d.status}</span></span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
          {(object === "accounts" || object === "deals") && (
            <section className="card" aria-labelledby="contacts-title">
              <h2 id="contacts-title">Contacts</h2>
              {contacts.length === 0 ? <p className="muted">No contacts linked.</p> : (
                <ul className="list">
                  {contacts.map((c) => (
                    <li key={c.id}>
                      <Link to={`/w/${workspace.id}/contacts/${c.id}`}>{OBJECTS.contacts.label(c)}</Link>
                      <span className="muted">{c.title ?? c.email ?? ""}</span>
                      {deal && workspace.canEdit && (
                        <button className="ghost small" aria-label={`Remove ${OBJECTS.contacts.label(c)} from this deal`} onClick={() => save({ contact_ids: (deal.contact_ids ?? []).filter((id) => id !== c.id) })}>
                          Remove
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
              )}
              {deal && workspace.canEdit && (
                <RecordPicker
                  object="contacts"
                  label="Add a contact"
                  none={null}
                  value=""
                  onChange={(id) => id && !(deal.contact_ids ?? []).includes(id) && void save({ contact_ids: [...(deal.contact_ids ?? []), id] })}
                />
              )}
            </section>
          )}
          {object !== "products" && (
            <section className="card" aria-labelledby="tasks-title">
              <h2 id="tasks-title">Tasks</h2>
              {tasks.length === 0 ? <p className="muted">No tasks. Create one with the quick actions.</p> : (
                <ul className="list">
                  {tasks.map((task) => (
                    <TaskRow key={task.id} task={task} showLinks={false} />
                  ))}
                </ul>
              )}
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}
