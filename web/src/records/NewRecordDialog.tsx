//! The "new record" form for any of the table objects, in a dialog.

import { useState } from "react";
import { create, type RecordTypes, type Stored } from "../api/records";
import { ApiProblem } from "../api/problem";
import { OBJECTS, toApiValue, type TableObject } from "../tables/objects";
import { EditValue } from "./Values";
import { ErrorText } from "../ui/States";
import { useSubmit } from "../ui/useSubmit";
import { useWorkspace } from "../app/workspace";

export function NewRecordDialog<K extends TableObject>({ object, onClose, onCreated, initial = {} }: {
  object: K;
  onClose: () => void;
  onCreated: (record: Stored<K>) => void;
  initial?: Record<string, string>;
}) {
  const workspace = useWorkspace();
  const spec = OBJECTS[object];
  const [values, setValues] = useState<Record<string, string>>(initial);
  const { error, busy, submit } = useSubmit(async () => {
    const body: Record<string, unknown> = {};
    for (const field of spec.form) {
      const value = toApiValue(field.kind, values[field.field] ?? "");
      if (value !== null) body[field.field] = value;
    }
    for (const [field, value] of Object.entries(initial)) if (!(field in body)) body[field] = value;
    onCreated(await create(workspace.id, object, body as Partial<RecordTypes[K]>));
  });
  return (
    <div className="overlay" onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="new-record-title">
        <h2 id="new-record-title">New {spec.singular}</h2>
        <form className="form" onSubmit={submit}>
          {spec.form.map((field, index) => (
            <label key={field.field}>
              {field.label}
              <EditValue
                kind={field.kind}
                label={field.label}
                options={field.options}
                value={values[field.field] ?? ""}
                autoFocus={index === 0}
                required={field.field === "name"}
                onChange={(value) => setValues({ ...values, [field.field]: value })}
              />
              {error instanceof ApiProblem && error.fieldMessage(field.field) && <span className="error-text">{error.fieldMessage(field.field)}</span>}
            </label>
          ))}
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>Cancel</button>
            <button className="primary" disabled={busy}>{busy ? "Creating…" : `Create ${spec.singular}`}</button>
          </div>
        </form>
      </div>
    </div>
  );
}
