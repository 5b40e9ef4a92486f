import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router";
import Board from "./Board";
import { buildWorkspaceInfo, WorkspaceContext, type Role } from "../app/workspace";
import { listAll } from "../api/records";

vi.mock("../api/records", () => ({ listAll: vi.fn(), get: vi.fn(), update: vi.fn() }));

const stages = [
  { id: "s1", name: "Lead", probability: 0.1, kind: "open" as const },
  { id: "s2", name: "Proposal", probability: 0.5, kind: "open" as const },
  { id: "won", name: "Won", probability: 1, kind: "won" as const },
  { id: "lost", name: "Lost", probability: 0, kind: "lost" as const },
];
const deal = (id: string, stage_id: string, amount: number, owner_id: string | null = null) => ({ id, name: `Deal ${id}`, stage_id, amount, owner_id, currency: "EUR", version: 1, created_at: "", updated_at: "" });

function renderBoard(role: Role, url = "/w/w1/board") {
  const workspace = buildWorkspaceInfo(
    { id: "w1", name: "Harbour Homes", role },
    [{ user_id: "u1", email: "dana@example.com", name: "Dana", role: "owner", joined_at: "" }],
    [{ id: "p1", name: "Sales", version: 1, created_at: "", updated_at: "", stages }],
  );
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter initialEntries={[url]}>
        <WorkspaceContext.Provider value={workspace}>
          <Board />
        </WorkspaceContext.Provider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("the pipeline board", () => {
  afterEach(cleanup);
  vi.mocked(listAll).mockResolvedValue([deal("a", "s1", 100_000, "u1"), deal("b", "s1", 250_000), deal("c", "s2", 40_000)] as never);

  it("shows one column per open stage with its count and value, and drop zones to close", async () => {
    renderBoard("member");
    const lead = await screen.findByRole("region", { name: "Lead: 2 deals" });
    expect(within(lead).getAllByRole("link").map((a) => a.textContent)).toEqual(["Deal b", "Deal a"]);
    expect(lead.textContent).toMatch(/€350K/);
    expect(screen.getByRole("region", { name: "Proposal: 1 deals" })).toBeTruthy();
    expect(screen.getByText("Drop here: Won")).toBeTruthy();
    expect(screen.getAllByRole("button", { name: /^Move Deal/ })).toHaveLength(3);
    expect(listAll).toHaveBeenCalledWith("w1", "deals", { pipeline_id: "p1", status: "open" });
  });

  it("filters by the owner and search in the address", async () => {
    renderBoard("member", "/w/w1/board?owner=u1");
    expect(await screen.findByRole("region", { name: "Lead: 1 deals" })).toBeTruthy();
    cleanup();
    renderBoard("member", "/w/w1/board?q=deal%20c");
    expect(await screen.findByRole("region", { name: "Proposal: 1 deals" })).toBeTruthy();
    expect(screen.getByRole("region", { name: "Lead: 0 deals" })).toBeTruthy();
  });

  it("gives a viewer nothing to drag and nowhere to drop", async () => {
    renderBoard("viewer");
    await screen.findByRole("region", { name: "Lead: 2 deals" });
    expect(screen.queryAllByRole("button", { name: /^Move / })).toHaveLength(0);
    expect(screen.queryByText("Drop here: Won")).toBeNull();
    expect(screen.queryByRole("link", { name: "New deal" })).toBeNull();
  });
});
