import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import userEvent from "@testing-library/user-event";
import { NewRecordDialog } from "./NewRecordDialog";
import { buildWorkspaceInfo, WorkspaceContext } from "../app/workspace";
import { ApiProblem } from "../api/problem";
import { create } from "../api/records";

vi.mock("../api/records", () => ({ create: vi.fn(), get: vi.fn(), list: vi.fn(async () => ({ items: [], next_cursor: null })) }));

const workspace = buildWorkspaceInfo(
  { id: "w1", name: "Harbour Homes", role: "member" },
  [{ user_id: "u1", email: "dana@example.com", name: "Dana", role: "owner", joined_at: "" }],
  [{ id: "p1", name: "Sales", version: 1, created_at: "", updated_at: "", stages: [{ id: "s1", name: "Lead", probability: 0.1, kind: "open" }] }],
);

function renderDialog(onCreated = vi.fn()) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <WorkspaceContext.Provider value={workspace}>
        <NewRecordDialog object="deals" onClose={() => undefined} onCreated={onCreated} />
      </WorkspaceContext.Provider>
    </QueryClientProvider>,
  );
  return onCreated;
}

describe("the new record form", () => {
  afterEach(() => {
    cleanup();
    vi.mocked(create).mockReset();
  });

  it("sends typed values and leaves untouched fields to the server's defaults", async () => {
    vi.mocked(create).mockResolvedValue({ id: "d1" } as never);
    const onCreated = renderDialog();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Deal name"), "Penthouse 12B");
    await user.type(screen.getByLabelText("Amount"), "1250000");
    await user.selectOptions(screen.getByLabelText("Owner"), "u1");
    await user.click(screen.getByRole("button", { name: "Create deal" }));
    expect(create).toHaveBeenCalledWith("w1", "deals", { name: "Penthouse 12B", amount: 1250000, owner_id: "u1" });
    expect(onCreated).toHaveBeenCalledWith({ id: "d1" });
  });

  it("shows the server's field errors beside the fields and keeps what was typed", async () => {
    vi.mocked(create).mockRejectedValue(new ApiProblem(422, { detail: "1 field is invalid", errors: [{ field: "close_date", message: "`2025-02-30` is not a real calendar date" }] }));
    const onCreated = renderDialog();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Deal name"), "Canal house");
    await user.click(screen.getByRole("button", { name: "Create deal" }));
    expect((await screen.findAllByText(/is not a real calendar date/)).length).toBeGreaterThan(0);
    expect(onCreated).not.toHaveBeenCalled();
    expect((screen.getByLabelText("Deal name") as HTMLInputElement).value).toBe("Canal house");
  });
});
