//! One way to show and one way to edit each kind of value (money, dates, owners, stages…),
//! shared by tables, record pages and forms.

import type { ReactNode } from "react";
import { Link } from "react-router";
import { useWorkspace } from "../app/workspace";
import type { ValueKind } from "../tables/objects";
import { date, money } from "../ui/format";
import { RecordPicker, useRecordName } from "./RecordPicker";

function AccountLink({ id }: { id: string }) {
  const workspace = useWorkspace();
  return <Link to={`/w/${workspace.id}/accounts/${id}`}>{useRecordName("accounts", id)}</Link>;
}

/** The workspace's members as the options of a select, by name. */
export function MemberOptions() {
  const workspace = useWorkspace();
  return (
    <>
      {workspace.members.map((m) => (
        <option key={m.user_id} value={m.user_id}>{workspace.memberName(m.user_id)}</option>
      ))}
    </>
  );
}

export function ShowValue({ kind, value, currency }: { kind: ValueKind; value: unknown; currency?: string | null }): ReactNode {
  const workspace = useWorkspace();
  if (value === null || value === undefined || value === "") return <span className="muted">—</span>;
  switch (kind) {
    case "money":
      return money(Number(value), currency);
    case "number":
      return Number(value).toLocaleString();
    case "date":
      return date(String(value));
    case "owner":
      return workspace.memberName(String(value));
    case "stage":
      return workspace.stage(String(value))?.name ?? "—";
    case "account":
      return <AccountLink id={String(value)} />;
    case "enum":
      return <span className={`badge status-${String(value)}`}>{String(value).replace(/_/g, " ")}</span>;
    case "email":
      return <a href={`mailto:${String(value)}`}>{String(value)}</a>;
    case "phone":
      return <a href={`tel:${String(value)}`}>{String(value)}</a>;
    default:
      return String(value);
  }
}

type EditProps = {
  kind: ValueKind;
  value: string;
  onChange: (value: string) => void;
  label: string;
  options?: readonly string[];
  /** Stages offered: those of this pipeline (a deal moves within its pipeline). */
  pipelineId?: string | null;
  className?: string;
  autoFocus?: boolean;
  onBlur?: () => void;
  onKeyDown?: (event: React.KeyboardEvent) => void;
  required?: boolean;
};

export function EditValue({ kind, value, onChange, label, options, pipelineId, className, autoFocus, onBlur, onKeyDown, required }: EditProps) {
  const workspace = useWorkspace();
  const common = { "aria-label": label, className, autoFocus, onBlur, onKeyDown, required, value };
  if (kind === "owner") {
    return (
      <select {...common} onChange={(e) => onChange(e.target.value)}>
        <option value="">Unassigned</option>
        <MemberOptions />
      </select>
    );
  }
  if (kind === "account") return <RecordPicker object="accounts" value={value} onChange={onChange} label={label} />;
  if (kind === "stage") {
    const pipelines = workspace.pipelines.filter((p) => !pipelineId || p.id === pipelineId);
    return (
      <select {...common} onChange={(e) => onChange(e.target.value)}>
        {!pipelineId && <option value="">First stage</option>}
        {pipelines.map((p) => (
          <optgroup key={p.id} label={p.name}>
            {p.stages.map((s) => (
              <option key={s.id} value={s.id}>{s.name}</option>
            ))}
          </optgroup>
        ))}
      </select>
    );
  }
  if (kind === "enum") {
    return (
      <select {...common} onChange={(e) => onChange(e.target.value)}>
        <option value="">—</option>
        {(options ?? []).map((o) => (
          <option key={o} value={o}>{o.replace(/_/g, " ")}</option>
        ))}
      </select>
    );
  }
  const type = { money: "number", number: "number", date: "date", email: "email", phone: "tel" }[kind as string] ?? "text";
  return <input {...common} type={type} step={kind === "money" ? "any" : undefined} onChange={(e) => onChange(e.target.value)} />;
}
