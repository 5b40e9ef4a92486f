import { describe, expect, it } from "vitest";
import { columns, differences, moved, usualCurrency, type Deal } from "./model";
import type { Stage } from "../app/workspace";

const stages: Stage[] = [
  { id: "s1", name: "Lead", probability: 0.1, kind: "open" },
  { id: "s2", name: "Proposal", probability: 0.5, kind: "open" },
];

function deal(id: string, stage_id: string, amount: number, extra: Partial<Deal> = {}): Deal {
  return { id, name: `Deal ${id}`, stage_id, amount, version: 1, created_at: "", updated_at: "", owner_id: null, ...extra } as Deal;
}

describe("board columns", () => {
  const deals = [deal("a", "s1", 100), deal("b", "s1", 300, { owner_id: "u1" }), deal("c", "s2", 50), deal("x", "gone", 999)];

  it("groups by stage in pipeline order, largest first, with totals", () => {
    const board = columns(stages, deals);
    expect(board.map((c) => c.stage.name)).toEqual(["Lead", "Proposal"]);
    expect(board[0].deals.map((d) => d.id)).toEqual(["b", "a"]);
    expect(board[0].value).toBe(400);
    expect(board[1].value).toBe(50);
  });

  it("filters by owner and by every word of the search", () => {
    expect(columns(stages, deals, { ownerId: "u1" })[0].deals.map((d) => d.id)).toEqual(["b"]);
    expect(columns(stages, deals, { query: "deal c" }).flatMap((c) => c.deals.map((d) => d.id))).toEqual(["c"]);
    expect(columns(stages, deals, { query: "nothing" }).every((c) => c.deals.length === 0)).toBe(true);
  });

  it("moves a deal without touching the others", () => {
    const after = moved(deals, "a", "s2");
    expect(columns(stages, after)[1].deals.map((d) => d.id)).toEqual(["a", "c"]);
    expect(after.find((d) => d.id === "b")).toBe(deals[1]);
  });

  it("lists what someone else changed", () => {
    const mine = deal("a", "s1", 100);
    const theirs = { ...mine, amount: 120, close_date: "2026-12-01", version: 2 };
    expect(differences(mine, theirs)).toEqual([
      { field: "amount", label: "Amount", mine: 100, theirs: 120 },
      { field: "close_date", label: "Close date", mine: null, theirs: "2026-12-01" },
    ]);
    expect(differences(mine, { ...mine, version: 5 })).toEqual([]);
  });
});

describe("the board's currency", () => {
  it("is the one most deals are in", () => {
    const eur = (id: string) => deal(id, "s1", 1, { currency: "EUR" });
    expect(usualCurrency([eur("a"), eur("b"), deal("c", "s1", 1, { currency: "GBP" })])).toBe("EUR");
    expect(usualCurrency([deal("a", "s1", 1)])).toBeNull();
  });
});
