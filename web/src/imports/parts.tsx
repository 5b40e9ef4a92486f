//! Small pieces the import screens share: scrolling tables, the status badge, the wizard's
//! step list, the progress bar, a grid of row counts and what was detected about an upload.

import { useId, type ReactNode } from "react";
import { DELIMITERS, ENCODINGS, OBJECTS, STEPS, type ImportDetail, type ImportStatus, type Step } from "./model";
import type { Schemas } from "../api/client";

const STATUS: Record<ImportStatus, string> = {
  uploaded: "Not committed",
  committing: "Committing",
  committed: "Committed",
  undoing: "Undoing",
  undone: "Undone",
  failed: "Failed",
};

/** A table that may scroll sideways on a narrow screen: a labelled region the keyboard can scroll. */
export function TableWrap({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div className={`table-wrap ${className ?? ""}`} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function StatusBadge({ status }: { status: ImportStatus }) {
  return <span className={`badge import-${status}`}>{STATUS[status]}</span>;
}

export function Stepper({ current }: { current: Step }) {
  const at = STEPS.findIndex(([step]) => step === current);
  return (
    <ol className="stepper" aria-label="Import steps">
      {STEPS.map(([step, label], index) => (
        <li key={step} className={index < at ? "done" : index === at ? "current" : undefined} aria-current={index === at ? "step" : undefined}>
          <span className="step-number" aria-hidden>
            {index < at ? "✓" : index + 1}
          </span>{" "}
          {label}
          {index < at && <span className="visually-hidden"> (done)</span>}
        </li>
      ))}
    </ol>
  );
}

export function ProgressBar({ label, done, total }: { label: string; done: number; total: number }) {
  const id = useId();
  const share = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <div className="progress">
      <div id={id} className="progress-label">
        {label}: {done.toLocaleString()} of {total.toLocaleString()} rows ({Math.round(share * 100)}%)
      </div>
      <div className="progress-track" role="progressbar" aria-labelledby={id} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        <div className="progress-fill" style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}

/** Counts as metric cards, in the order given; outcomes with no rows are left out. */
export function CountGrid({ counts, labels, empty }: { counts: Schemas["ImportCounts"]; labels: [string, string][]; empty?: string }) {
  const shown = labels.filter(([key]) => counts[key]);
  if (!shown.length) return empty ? <p className="muted">{empty}</p> : null;
  return (
    <div className="metrics">
      {shown.map(([key, label]) => (
        <div key={key} className={`card metric count-${key}`}>
          <div className="metric-label">{label}</div>
          <div className="metric-value">{counts[key].toLocaleString()}</div>
        </div>
      ))}
    </div>
  );
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What the upload found: encoding, delimiter, header, rows, repairs, and the first rows. */
export function DetectedFile({ item }: { item: ImportDetail }) {
  const layout = item.layout;
  return (
    <section className="card detected" aria-labelledby="detected-title">
      <h2 id="detected-title">{item.file_name}</h2>
      <dl className="facts">
        <div>
          <dt className="fact-label">Imported as</dt>
          <dd className="fact-value">{OBJECTS[item.object]}</dd>
        </div>
        <div>
          <dt className="fact-label">Rows</dt>
          <dd className="fact-value">{item.row_count.toLocaleString()}</dd>
        </div>
        <div>
          <dt className="fact-label">Encoding</dt>
          <dd className="fact-value">{ENCODINGS[item.encoding]}</dd>
        </div>
        <div>
          <dt className="fact-label">Delimiter</dt>
          <dd className="fact-value">{DELIMITERS[layout.delimiter]}</dd>
        </div>
        <div>
          <dt className="fact-label">Header row</dt>
          <dd className="fact-value">{layout.has_header ? "Yes" : "No (columns named by position)"}</dd>
        </div>
        <div>
          <dt className="fact-label">Size</dt>
          <dd className="fact-value">{size(item.size_bytes)}</dd>
        </div>
      </dl>
      {layout.warnings.length > 0 && (
        <ul className="import-warnings">
          {layout.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
      {item.sample.length > 0 && (
        <details>
          <summary>First {item.sample.length} rows</summary>
          <TableWrap label="First rows of the file" className="sample">
            <table className="data">
              <thead>
                <tr>
                  {layout.headers.map((header) => (
                    <th key={header} scope="col">{header}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {item.sample.map((row, index) => (
                  <tr key={index}>
                    {layout.headers.map((header, column) => (
                      <td key={header}>{row[column]}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </details>
      )}
    </section>
  );
}
