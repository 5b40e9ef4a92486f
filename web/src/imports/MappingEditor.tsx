//! The mapping editor: every column of the file with where it goes, how sure the proposal is and
//! why, a picker to send it elsewhere (a field, a custom attribute, or nowhere), and the rules
//! for rows that match existing records. `ValueMappingEditor` does the same for the values of
//! enumerated columns (stages, owners, kinds). Both are controlled: they report each change and
//! the wizard decides when to save.

import { ApiProblem } from "../api/problem";
import { TableWrap } from "./parts";
import {
  ATTRIBUTE,
  FUZZY_OBJECTS,
  IGNORE,
  LOW_CONFIDENCE,
  MATCH_KEYS,
  attributeKey,
  duplicateTargets,
  fieldLabel,
  targetLabel,
  targetOptions,
  toggleKey,
  type Draft,
  type ImportObject,
  type ImportPlan,
  type Option,
  type ValueMapping,
} from "./model";

function Confidence({ value }: { value: number }) {
  const low = value < LOW_CONFIDENCE;
  return (
    <span className={`confidence ${low ? "low" : ""}`}>
      <span className="confidence-track" aria-hidden>
        <span style={{ width: `${Math.round(value * 100)}%` }} />
      </span>
      {Math.round(value * 100)}%{low && <span className="badge check">Check</span>}
    </span>
  );
}

const MODES: [ImportPlan["mode"], string][] = [
  ["create_and_update", "Update the record; create the rest"],
  ["create_only", "Skip the row; only create new records"],
  ["update_only", "Update the record; skip rows that match nothing"],
];

type Props = {
  object: ImportObject;
  /** The mapping as saved, with the proposal's confidences and reasons. */
  plan: ImportPlan;
  headers: string[];
  sample: string[][];
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** The server's answer to the last save, whose field errors are shown where they belong. */
  problem?: unknown;
  readOnly?: boolean;
};

export default function MappingEditor({ object, plan, headers, sample, draft, onChange, problem, readOnly = false }: Props) {
  const fieldError = (field: string) => (problem instanceof ApiProblem ? problem.fieldMessage(field) : undefined);
  const duplicates = duplicateTargets(draft.targets);
  const setTarget = (column: string, target: string) => onChange({ ...draft, targets: { ...draft.targets, [column]: target } });

  return (
    <div className="mapping">
      {duplicates.length > 0 && (
        <ul className="import-warnings" aria-live="polite">
          {duplicates.map(([target, columns]) => (
            <li key={target}>
              {targetLabel(object, target)} is chosen for {columns.length} columns ({columns.join(", ")}); each row keeps only one of their values.
            </li>
          ))}
        </ul>
      )}
      <TableWrap label="Columns and where they go">
        <table className="data mapping-table">
          <thead>
            <tr>
              <th scope="col">Column in the file</th>
              <th scope="col">Goes to</th>
              <th scope="col">How sure, and why</th>
            </tr>
          </thead>
          <tbody>
            {plan.columns.map((mapping, index) => {
              const target = draft.targets[mapping.column] ?? mapping.target;
              const changed = target !== mapping.target;
              const position = headers.indexOf(mapping.column);
              const examples = sample.map((row) => row[position]).filter(Boolean).slice(0, 3);
              const error = fieldError(`columns[${index}].target`);
              return (
                <tr key={mapping.column} className={!changed && mapping.confidence < LOW_CONFIDENCE ? "low" : undefined}>
                  <th scope="row">
                    {mapping.column}
                    {examples.length > 0 && <div className="muted examples">{examples.join(" · ")}</div>}
                  </th>
                  <td>
                    {readOnly ? (
                      targetLabel(object, target)
                    ) : (
                      <TargetPicker object={object} column={mapping.column} index={index} target={target} error={error} onChange={(next) => setTarget(mapping.column, next)} />
                    )}
                  </td>
                  <td className="reason">
                    {changed ? "Your choice, saved when you continue" : <Confidence value={mapping.confidence} />}
                    {!changed && <div>{mapping.reason}</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
      <MatchRules object={object} draft={draft} onChange={onChange} readOnly={readOnly} countryError={fieldError("default_country")} />
    </div>
  );
}

function TargetPicker({ object, column, index, target, error, onChange }: { object: ImportObject; column: string; index: number; target: string; error?: string; onChange: (target: string) => void }) {
  const isAttribute = target.startsWith(ATTRIBUTE);
  const id = `target-${index}`;
  return (
    <div className="target-picker">
      <label className="visually-hidden" htmlFor={id}>
        Where “{column}” goes
      </label>
      <select
        id={id}
        value={isAttribute ? ATTRIBUTE : target}
        aria-invalid={error ? true : undefined}
        onChange={(e) => onChange(e.target.value === ATTRIBUTE ? `${ATTRIBUTE}${attributeKey(column) || `column_${index + 1}`}` : e.target.value)}
      >
        <optgroup label="Fields">
          {targetOptions(object).map((o) => (
            <option key={o.value} value={o.value}>{o.label}</option>
          ))}
        </optgroup>
        <option value={ATTRIBUTE}>Custom attribute…</option>
        <option value={IGNORE}>Don’t import</option>
      </select>
      {isAttribute && (
        <>
          <label className="visually-hidden" htmlFor={`${id}-name`}>
            Attribute name for “{column}”
          </label>
          <input id={`${id}-name`} value={target.slice(ATTRIBUTE.length)} placeholder="attribute name" onChange={(e) => onChange(`${ATTRIBUTE}${e.target.value}`)} />
        </>
      )}
      {error && <span className="error-text small">{error}</span>}
    </div>
  );
}

function MatchRules({ object, draft, onChange, readOnly, countryError }: { object: ImportObject; draft: Draft; onChange: (draft: Draft) => void; readOnly: boolean; countryError?: string }) {
  const keys = MATCH_KEYS[object];
  const fuzzy = FUZZY_OBJECTS.includes(object);
  if (readOnly) {
    return (
      <dl className="rules-summary">
        <dt>Rows that match a record</dt>
        <dd>{MODES.find(([mode]) => mode === draft.mode)?.[1]}</dd>
        <dt>Matched by</dt>
        <dd>{draft.match_keys.map((k) => fieldLabel(object, k)).join(", ") || "Nothing (every row is new)"}</dd>
        <dt>Dates</dt>
        <dd>{draft.day_order === "day_first" ? "Day first" : "Month first"}</dd>
        <dt>Phone country</dt>
        <dd>{draft.default_country}</dd>
      </dl>
    );
  }
  return (
    <div className="rules form-row">
      <fieldset>
        <legend>When a row matches an existing record</legend>
        {MODES.map(([mode, label]) => (
          <label key={mode} className="choice">
            <input type="radio" name="import-mode" value={mode} checked={draft.mode === mode} onChange={() => onChange({ ...draft, mode })} /> {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Match existing records by</legend>
        {keys.map((key) => (
          <label key={key} className="choice">
            <input type="checkbox" checked={draft.match_keys.includes(key)} onChange={(e) => onChange({ ...draft, match_keys: toggleKey(object, draft.match_keys, key, e.target.checked) })} />{" "}
            {fieldLabel(object, key)}
          </label>
        ))}
        {fuzzy && (
          <label className="choice">
            <input type="checkbox" checked={draft.fuzzy_matching} onChange={(e) => onChange({ ...draft, fuzzy_matching: e.target.checked })} /> Likely duplicates by name, company and address
          </label>
        )}
      </fieldset>
      <div className="form">
        <label>
          Dates like 03/04/2025 mean
          <select value={draft.day_order} onChange={(e) => onChange({ ...draft, day_order: e.target.value as Draft["day_order"] })}>
            <option value="month_first">March 4 (month first)</option>
            <option value="day_first">3 April (day first)</option>
          </select>
        </label>
        <label>
          Country of phone numbers without a code
          <input value={draft.default_country} maxLength={2} aria-invalid={countryError ? true : undefined} onChange={(e) => onChange({ ...draft, default_country: e.target.value })} />
          {countryError && <span className="error-text small">{countryError}</span>}
        </label>
      </div>
    </div>
  );
}

type ValueProps = {
  object: ImportObject;
  values: ValueMapping[];
  /** Where a value of a field may go. */
  options: (field: string) => Option[];
  onChoose: (choice: { field: string; source: string; target: string | null }) => void;
  readOnly?: boolean;
  busy?: boolean;
};

/** The values of enumerated columns and what each becomes; a choice is sent at once. */
export function ValueMappingEditor({ object, values, options, onChoose, readOnly = false, busy = false }: ValueProps) {
  return (
    <TableWrap label="Values and what they become">
      <table className="data mapping-table">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value in the file</th>
            <th scope="col" className="num">Rows</th>
            <th scope="col">Becomes</th>
            <th scope="col">How sure, and why</th>
          </tr>
        </thead>
        <tbody>
          {values.map((value) => {
            const label = fieldLabel(object, value.field);
            const choices = options(value.field);
            const known = (text: string) => choices.some((o) => o.value === text);
            const extra = [value.target, value.field === "stage_id" ? value.source : null].filter((t): t is string => !!t && !known(t));
            const unsure = value.target === null || value.confidence < LOW_CONFIDENCE;
            return (
              <tr key={`${value.field}\u0000${value.source}`} className={unsure ? "low" : undefined}>
                <td>{label}</td>
                <th scope="row">{value.source}</th>
                <td className="num">{value.rows ?? "—"}</td>
                <td>
                  {readOnly ? (
                    (value.target ?? "Unmapped")
                  ) : (
                    <select
                      aria-label={`${label} “${value.source}” becomes`}
                      value={value.target ?? ""}
                      disabled={busy}
                      onChange={(e) => onChoose({ field: value.field, source: value.source, target: e.target.value || null })}
                    >
                      <option value="">Leave unmapped</option>
                      {[...new Set(extra)].map((t) => (
                        <option key={t} value={t}>{value.field === "stage_id" ? `New stage “${t}”` : t}</option>
                      ))}
                      {choices.map((o) => (
                        <option key={o.value} value={o.value}>{o.label}</option>
                      ))}
                    </select>
                  )}
                </td>
                <td className="reason">
                  {value.target === null ? <span className="badge check">Unmapped</span> : <Confidence value={value.confidence} />}
                  <div>{value.reason}</div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}
