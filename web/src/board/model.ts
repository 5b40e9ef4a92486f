//! The board's logic, apart from React so it can be tested on its own: deals grouped into
//! stage columns, the filters, a move applied optimistically, and what changed when a move
//! meets a newer version on the server.

import type { Stored } from "../api/records";
import type { Stage } from "../app/workspace";

export type Deal = Stored<"deals">;

export type Column = { stage: Stage; deals: Deal[]; value: number };

export type BoardFilter = { ownerId?: string; query?: string };

export function matches(deal: Deal, filter: BoardFilter): boolean {
  if (filter.ownerId && deal.owner_id !== filter.ownerId) return false;
  const words = (filter.query ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const name = deal.name.toLowerCase();
  return words.every((word) => name.includes(word));
}

/** One column per stage, in the pipeline's order; deals largest first. */
export function columns(stages: Stage[], deals: Deal[], filter: BoardFilter = {}): Column[] {
  const byStage = new Map<string, Deal[]>(stages.map((stage) => [stage.id ?? "", []]));
  for (const deal of deals) {
    if (matches(deal, filter)) byStage.get(deal.stage_id ?? "")?.push(deal);
  }
  return stages.map((stage) => {
    const inStage = byStage.get(stage.id ?? "") ?? [];
    inStage.sort((a, b) => (b.amount ?? 0) - (a.amount ?? 0) || a.name.localeCompare(b.name));
    return { stage, deals: inStage, value: inStage.reduce((sum, deal) => sum + (deal.amount ?? 0), 0) };
  });
}

/** The deals with one of them moved to another stage (what the screen shows before the server answers). */
export function moved(deals: Deal[], dealId: string, stageId: string): Deal[] {
  return deals.map((deal) => (deal.id === dealId ? { ...deal, stage_id: stageId } : deal));
}

const SHOWN_FIELDS: [keyof Deal, string][] = [
  ["name", "Name"],
  ["stage_id", "Stage"],
  ["amount", "Amount"],
  ["close_date", "Close date"],
  ["owner_id", "Owner"],
  ["forecast_category", "Forecast category"],
  ["probability", "Probability"],
  ["status", "Status"],
];

export type Difference = { field: string; label: string; mine: unknown; theirs: unknown };

/** What someone else changed between the version the user dragged and the server's. */
export function differences(mine: Deal, theirs: Deal): Difference[] {
  return SHOWN_FIELDS.filter(([field]) => JSON.stringify(mine[field] ?? null) !== JSON.stringify(theirs[field] ?? null)).map(([field, label]) => ({
    field: String(field),
    label,
    mine: mine[field] ?? null,
    theirs: theirs[field] ?? null,
  }));
}

/** The currency most deals are in, for a column's total. */
export function usualCurrency(deals: Deal[]): string | null {
  const counts = new Map<string, number>();
  for (const deal of deals) if (deal.currency) counts.set(deal.currency, (counts.get(deal.currency) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
}
