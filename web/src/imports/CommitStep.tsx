//! Step 4: the commit running in the background, batch by batch; the import is polled while it
//! runs, so the bar and the counts move as batches land. Leaving the page does not stop it.

import { CountGrid, ProgressBar } from "./parts";
import { OUTCOME_LABELS, type ImportDetail } from "./model";

export default function CommitStep({ item }: { item: ImportDetail }) {
  return (
    <section className="card" aria-labelledby="commit-title">
      <h2 id="commit-title">Committing</h2>
      <ProgressBar label="Committed" done={item.counts.processed ?? 0} total={item.row_count} />
      <CountGrid counts={item.counts} labels={OUTCOME_LABELS} />
      <p className="muted">The import carries on if you leave this page; its report opens here when it is done.</p>
    </section>
  );
}
