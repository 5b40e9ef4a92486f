//! The tables of deals, contacts, accounts and products: search, sort, filters and cursor
//! paging all live in the URL, so a view can be bookmarked or shared; cells edit in place
//! (saved with the version shown), and rows can be selected for bulk changes.

import { useMemo, useState } from "react";
import { Link, Navigate, useNavigate, useParams } from "react-router";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type RowSelectionState } from "@tanstack/react-table";
import { list, remove, update, type Stored } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { OBJECTS, isTableObject, toApiValue, type ColumnSpec, type TableObject } from "./objects";
import { EditValue, MemberOptions, ShowValue } from "../records/Values";
import { NewRecordDialog } from "../records/NewRecordDialog";
import { Empty, ErrorState, ErrorText, Loading } from "../ui/States";
import { useUrlParams } from "../ui/useUrlParams";

type Row = Stored<TableObject>;
const PAGE_SIZE = 50;
const RESERVED = new Set(["q", "sort", "cursor", "new"]);

function EditableCell({ object, record, column, onError }: { object: TableObject; record: Row; column: ColumnSpec<TableObject>; onError: (e: unknown) => void }) {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const current = (record as Record<string, unknown>)[column.field];
  const [draft, setDraft] = useState<string | null>(null);
  const canEdit = workspace.canEdit && column.editable;
  const shown = <ShowValue kind={column.kind} value={current} currency={(record as { currency?: string | null }).currency} />;
  if (!canEdit) return shown;
  if (draft === null) {
    return (
      <button className="cell-edit" onClick={() => setDraft(current === null || current === undefined ? "" : String(current))}>
        {shown}
        <span className="visually-hidden"> (edit {column.label.toLowerCase()})</span>
      </button>
    );
  }
  const save = async (value: string) => {
    setDraft(null);
    const next = toApiValue(column.kind, value);
    if (next === (current ?? null)) return;
    try {
      await update(workspace.id, object, record.id, { [column.field]: next } as never, record.version);
      await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, object) });
    } catch (caught) {
      onError(caught);
    }
  };
  const isSelect = column.kind === "owner" || column.kind === "stage" || column.kind === "enum";
  return (
    <EditValue
      kind={column.kind}
      label={column.label}
      options={column.options}
      pipelineId={(record as { pipeline_id?: string }).pipeline_id}
      value={draft}
      autoFocus
      className="cell-edit"
      onChange={(value) => (isSelect ? void save(value) : setDraft(value))}
      onBlur={() => !isSelect && void save(draft)}
      onKeyDown={(e) => {
        if (e.key === "Enter") void save(draft);
        if (e.key === "Escape") setDraft(null);
      }}
    />
  );
}

export default function RecordTable() {
  const { object } = useParams();
  if (!isTableObject(object)) return <Navigate to=".." replace />;
  return <Table key={object} object={object} />;
}

function Table({ object }: { object: TableObject }) {
  const workspace = useWorkspace();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const spec = OBJECTS[object] as unknown as (typeof OBJECTS)["deals"];
  const { params, setParam: setUrlParam } = useUrlParams();
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState(params.get("q") ?? "");
  const query = Object.fromEntries([...params.entries()].filter(([key]) => key !== "new"));
  const page = useQuery({
    queryKey: wsKey(workspace.id, object, "list", query),
    queryFn: () => list(workspace.id, object, { limit: PAGE_SIZE, ...query }),
    placeholderData: keepPreviousData,
  });

  /** Any change but paging starts again from the first page. */
  const setParam = (name: string, value: string, push = false) => {
    setUrlParam(name, value, { push, drop: name === "cursor" ? [] : ["cursor"] });
    setSelection({});
  };
  const sort = params.get("sort") ?? "";

  const columns = useMemo(() => {
    const helper = createColumnHelper<Row>();
    return [
      helper.display({
        id: "select",
        header: ({ table }) => (
          <input type="checkbox" aria-label="Select all rows" checked={table.getIsAllRowsSelected()} onChange={table.getToggleAllRowsSelectedHandler()} />
        ),
        cell: ({ row }) => <input type="checkbox" aria-label="Select row" checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} />,
      }),
      ...spec.columns.map((column, index) =>
        helper.display({
          id: column.field,
          header: () =>
            column.sortable ? (
              <button onClick={() => setParam("sort", sort === column.field ? `-${column.field}` : column.field)} aria-label={`Sort by ${column.label}`}>
                {column.label} {sort === column.field ? "▲" : sort === `-${column.field}` ? "▼" : ""}
              </button>
            ) : (
              column.label
            ),
          cell: ({ row }) =>
            index === 0 ? (
              <Link to={`/w/${workspace.id}/${object}/${row.original.id}`}>{spec.label(row.original as never)}</Link>
            ) : (
              <EditableCell object={object} record={row.original} column={column as never} onError={setError} />
            ),
        }),
      ),
    ];
  }, [spec, sort, object, workspace, params]);

  const table = useReactTable({
    data: (page.data?.items ?? []) as Row[],
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.id,
    state: { rowSelection: selection },
    onRowSelectionChange: setSelection,
    enableRowSelection: workspace.canEdit,
  });
  const selected = Object.keys(selection).filter((id) => selection[id]);

  async function bulk(action: (id: string) => Promise<unknown>) {
    setError(null);
    const results = await Promise.allSettled(selected.map(action));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) setError(failed.reason);
    setSelection({});
    await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, object) });
  }

  const filterOptions = (kind: string, options?: readonly string[]) => {
    if (kind === "owner") return workspace.members.map((m) => [m.user_id, workspace.memberName(m.user_id)]);
    if (kind === "stage") return workspace.pipelines.flatMap((p) => p.stages.map((s) => [s.id ?? "", workspace.pipelines.length > 1 ? `${p.name}: ${s.name}` : s.name]));
    return (options ?? []).map((o) => [o, o.replace(/_/g, " ")]);
  };
  const filtered = [...params.keys()].some((key) => !RESERVED.has(key)) || !!params.get("q");

  return (
    <div className="page">
      <header className="page-header">
        <h1>{spec.title}</h1>
        <div className="toolbar">
          <form
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              setParam("q", search);
            }}
          >
            <input type="search" aria-label={`Search ${spec.title.toLowerCase()}`} placeholder={`Search ${spec.title.toLowerCase()}`} value={search} onChange={(e) => setSearch(e.target.value)} onBlur={() => search !== (params.get("q") ?? "") && setParam("q", search)} />
          </form>
          {spec.filters.map((filter) => (
            <select key={filter.param} aria-label={`Filter by ${filter.label.toLowerCase()}`} value={params.get(filter.param) ?? ""} onChange={(e) => setParam(filter.param, e.target.value)}>
              <option value="">{`Any ${filter.label.toLowerCase()}`}</option>
              {filterOptions(filter.kind, filter.options).map(([value, label]) => (
                <option key={value} value={value}>{label}</option>
              ))}
            </select>
          ))}
          {workspace.canEdit && (
            <button className="primary" onClick={() => setParam("new", "1", true)}>
              New {spec.singular}
            </button>
          )}
        </div>
      </header>
      {selected.length > 0 && (
        <div className="bulk-bar" role="region" aria-label="Bulk actions">
          <strong>{selected.length} selected</strong>
          <select aria-label="Assign owner to selected" value="" onChange={(e) => void bulk((id) => update(workspace.id, object, id, { owner_id: e.target.value || null } as never))}>
            <option value="">Assign owner…</option>
            <MemberOptions />
          </select>
          <button className="danger" onClick={() => window.confirm(`Delete ${selected.length} ${spec.title.toLowerCase()}? They can be restored from their history.`) && void bulk((id) => remove(workspace.id, object, id))}>
            Delete
          </button>
          <button className="ghost" onClick={() => setSelection({})}>Clear</button>
        </div>
      )}
      <ErrorText error={error} />
      {page.isPending && <Loading label={`Loading ${spec.title.toLowerCase()}`} />}
      {page.isError && <ErrorState error={page.error} onRetry={() => page.refetch()} />}
      {page.data && page.data.items.length === 0 && (
        <Empty title={filtered ? `No ${spec.title.toLowerCase()} match` : `No ${spec.title.toLowerCase()} yet`}>
          {filtered ? "Try another search or clear the filters." : workspace.canEdit ? `Create one, or bring them in with an import.` : ""}
        </Empty>
      )}
      {page.data && page.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id}>
                  {group.headers.map((header) => (
                    <th key={header.id} aria-sort={sort === header.id ? "ascending" : sort === `-${header.id}` ? "descending" : undefined}>
                      {flexRender(header.column.columnDef.header, header.getContext())}
                    </th>
                  ))}
                </tr>
              ))}
            </thead>
            <tbody>
              {table.getRowModel().rows.map((row) => (
                <tr key={row.id}>
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className={["amount", "price", "annual_revenue", "employees"].includes(cell.column.id) ? "num" : undefined}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            {params.get("cursor") && <button onClick={() => navigate(-1)}>← Previous</button>}
            {page.data.next_cursor && <button onClick={() => setParam("cursor", page.data.next_cursor ?? "", true)}>Next →</button>}
          </div>
        </div>
      )}
      {params.get("new") && (
        <NewRecordDialog
          object={object}
          onClose={() => setParam("new", "")}
          onCreated={(record) => {
            void queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, object) });
            navigate(`/w/${workspace.id}/${object}/${record.id}`, { replace: true });
          }}
        />
      )}
    </div>
  );
}
