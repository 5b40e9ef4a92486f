//! Component tests for the mapping editors: what a person sees and what each change reports.

import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import MappingEditor, { ValueMappingEditor } from "./MappingEditor";
import { changesFrom, draftOf, type Draft, type ImportPlan, type ValueMapping } from "./model";
import { ApiProblem } from "../api/problem";

afterEach(cleanup);

const plan: ImportPlan = {
  columns: [
    { column: "Full Name", target: "full_name", confidence: 0.95, reason: "the column name `Full Name` is a known export name" },
    { column: "Email Address", target: "email", confidence: 0.95, reason: "the column name `Email Address` is a known export name" },
    { column: "Work mail", target: "attribute:work_mail", confidence: 0.5, reason: "no field matches; kept as a custom attribute" },
    { column: "Lead Source", target: "attribute:lead_source", confidence: 0.5, reason: "no field matches; kept as a custom attribute" },
  ],
  mode: "create_and_update",
  match_keys: ["external_id", "email", "phone"],
  day_order: "month_first",
  default_country: "US",
  values: [],
  fuzzy_matching: true,
};
const headers = plan.columns.map((c) => c.column);
const sample = [["Jane Doe", "jane@x.com", "jane@work.com", "Web"]];

function renderEditor(extra: { problem?: unknown; readOnly?: boolean } = {}) {
  const onChange = vi.fn<(draft: Draft) => void>();
  // A stateful host, as the wizard is, so successive changes build on each other.
  function Host() {
    const [draft, setDraft] = useState(draftOf(plan));
    return (
      <MappingEditor
        object="contacts"
        plan={plan}
        headers={headers}
        sample={sample}
        draft={draft}
        onChange={(next) => {
          onChange(next);
          setDraft(next);
        }}
        {...extra}
      />
    );
  }
  render(<Host />);
  return onChange;
}

const row = (column: string) => screen.getByRole("rowheader", { name: new RegExp(`^${column}`) }).closest("tr")!;
const picker = (column: string) => screen.getByLabelText(`Where “${column}” goes`) as HTMLSelectElement;

describe("MappingEditor", () => {
  it("shows every column with its proposed target, confidence, reason and sample values", () => {
    renderEditor();
    expect(picker("Email Address").value).toBe("email");
    expect(picker("Full Name").value).toBe("full_name");
    expect(within(row("Email Address")).getByText("95%")).toBeTruthy();
    expect(within(row("Email Address")).getByText(/known export name/)).toBeTruthy();
    expect(within(row("Full Name")).getByText("Jane Doe")).toBeTruthy();
  });

  it("flags low-confidence columns and only those", () => {
    renderEditor();
    expect(within(row("Lead Source")).getByText("Check")).toBeTruthy();
    expect(row("Lead Source").className).toContain("low");
    expect(within(row("Email Address")).queryByText("Check")).toBeNull();
    expect(row("Email Address").className).not.toContain("low");
  });

  it("calls back with the new mapping when a column's target changes, and sends only that column", () => {
    const onChange = renderEditor();
    fireEvent.change(picker("Lead Source"), { target: { value: "title" } });
    const draft = onChange.mock.lastCall![0];
    expect(draft.targets["Lead Source"]).toBe("title");
    expect(draft.targets["Email Address"]).toBe("email");
    expect(changesFrom(plan, draft)).toEqual({ columns: [{ column: "Lead Source", target: "title" }] });
    // A person's choice is no longer a low-confidence proposal.
    expect(within(row("Lead Source")).queryByText("Check")).toBeNull();
    expect(within(row("Lead Source")).getByText(/Your choice/)).toBeTruthy();
  });

  it("warns when two columns go to the same target", () => {
    renderEditor();
    expect(screen.queryByText(/is chosen for/)).toBeNull();
    fireEvent.change(picker("Work mail"), { target: { value: "email" } });
    expect(screen.getByText(/Email is chosen for 2 columns \(Email Address, Work mail\)/)).toBeTruthy();
    fireEvent.change(picker("Work mail"), { target: { value: "ignore" } });
    expect(screen.queryByText(/is chosen for/)).toBeNull();
  });

  it("names a custom attribute after the column, and lets it be renamed", () => {
    const onChange = renderEditor();
    fireEvent.change(picker("Email Address"), { target: { value: "attribute:" } });
    expect(onChange.mock.lastCall![0].targets["Email Address"]).toBe("attribute:email_address");
    fireEvent.change(screen.getByLabelText("Attribute name for “Email Address”"), { target: { value: "private_email" } });
    expect(onChange.mock.lastCall![0].targets["Email Address"]).toBe("attribute:private_email");
  });

  it("changes the match keys in the server's order, and the mode", () => {
    const onChange = renderEditor();
    fireEvent.click(screen.getByLabelText("Email"));
    expect(onChange.mock.lastCall![0].match_keys).toEqual(["external_id", "phone"]);
    fireEvent.click(screen.getByLabelText("Email"));
    expect(onChange.mock.lastCall![0].match_keys).toEqual(["external_id", "email", "phone"]);
    fireEvent.click(screen.getByLabelText("Skip the row; only create new records"));
    expect(changesFrom(plan, onChange.mock.lastCall![0])).toEqual({ mode: "create_only" });
  });

  it("shows the server's error on the column it is about", () => {
    const problem = new ApiProblem(422, { title: "Invalid", errors: [{ field: "columns[2].target", message: "an attribute needs a name" }] });
    renderEditor({ problem });
    expect(within(row("Work mail")).getByText("an attribute needs a name")).toBeTruthy();
    expect(picker("Work mail").getAttribute("aria-invalid")).toBe("true");
  });

  it("offers no controls when read only", () => {
    renderEditor({ readOnly: true });
    expect(screen.queryAllByRole("combobox")).toHaveLength(0);
    expect(screen.queryAllByRole("checkbox")).toHaveLength(0);
    expect(within(row("Lead Source")).getByText("Attribute “lead_source”")).toBeTruthy();
  });
});

describe("ValueMappingEditor", () => {
  const values: ValueMapping[] = [
    { field: "stage_id", source: "Negotiaton", target: "Negotiation", confidence: 0.93, reason: "spelled like `Negotiation`", rows: 4 },
    { field: "stage_id", source: "Brand New", target: "Brand New", confidence: 1, reason: "the pipeline has no such stage; the commit adds it", rows: 1 },
    { field: "owner_id", source: "Nobody Here", target: null, confidence: 0, reason: "no member has this name or email", rows: 2 },
  ];
  const options = (field: string) =>
    field === "stage_id"
      ? [{ value: "Negotiation", label: "Negotiation" }, { value: "Won", label: "Won" }]
      : [{ value: "ann@example.com", label: "Ann (ann@example.com)" }];

  function renderValues(readOnly = false) {
    const onChoose = vi.fn();
    render(<ValueMappingEditor object="deals" values={values} options={options} onChoose={onChoose} readOnly={readOnly} />);
    return onChoose;
  }

  it("sends a value elsewhere, or leaves it unmapped", () => {
    const onChoose = renderValues();
    const negotiation = screen.getByLabelText("Stage (by name) “Negotiaton” becomes") as HTMLSelectElement;
    expect(negotiation.value).toBe("Negotiation");
    fireEvent.change(negotiation, { target: { value: "Won" } });
    expect(onChoose).toHaveBeenLastCalledWith({ field: "stage_id", source: "Negotiaton", target: "Won" });
    fireEvent.change(negotiation, { target: { value: "" } });
    expect(onChoose).toHaveBeenLastCalledWith({ field: "stage_id", source: "Negotiaton", target: null });
    const owner = screen.getByLabelText("Owner (member name or email) “Nobody Here” becomes");
    fireEvent.change(owner, { target: { value: "ann@example.com" } });
    expect(onChoose).toHaveBeenLastCalledWith({ field: "owner_id", source: "Nobody Here", target: "ann@example.com" });
  });

  it("offers a stage the pipeline lacks as a new stage, and flags unmapped values", () => {
    renderValues();
    const brandNew = screen.getByLabelText("Stage (by name) “Brand New” becomes") as HTMLSelectElement;
    expect(brandNew.value).toBe("Brand New");
    expect(within(brandNew).getByText("New stage “Brand New”")).toBeTruthy();
    const unmapped = screen.getByRole("rowheader", { name: "Nobody Here" }).closest("tr")!;
    expect(unmapped.className).toContain("low");
    expect(within(unmapped).getByText("Unmapped")).toBeTruthy();
    expect(screen.getByRole("rowheader", { name: "Negotiaton" }).closest("tr")!.className).not.toContain("low");
  });

  it("shows the values without pickers when read only", () => {
    renderValues(true);
    expect(screen.queryAllByRole("combobox")).toHaveLength(0);
    expect(screen.getByText("Negotiation")).toBeTruthy();
  });
});
