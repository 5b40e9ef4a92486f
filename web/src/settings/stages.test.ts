//! The stage editing rules: percentages, moves, additions, validation and the PATCH body.

import { describe, expect, it } from "vitest";
import { addStage, changeStage, draftOf, isDirty, moveStage, removeStage, toPayload, toPercent, toProbability, validate } from "./stages";

const pipeline = {
  name: "Sales",
  stages: [
    { id: "won", name: "Won", probability: 1, kind: "won" as const, position: 2 },
    { id: "lead", name: "Lead", probability: 0.07, kind: "open" as const, position: 0 },
    { id: "lost", name: "Lost", probability: 0, kind: "lost" as const, position: 3 },
    { id: "demo", name: "Demo", probability: 0.35, kind: "open" as const, position: 1 },
  ],
};

describe("percentages", () => {
  it("shows probabilities as percentages without floating-point noise", () => {
    expect(toPercent(0.07)).toBe("7");
    expect(toPercent(0.125)).toBe("12.5");
    expect(toPercent(1)).toBe("100");
  });

  it("reads typed percentages back as probabilities, refusing what the API would", () => {
    expect(toProbability("35")).toBe(0.35);
    expect(toProbability(" 7 ")).toBe(0.07);
    expect(toProbability("0")).toBe(0);
    expect(toProbability("100")).toBe(1);
    expect(toProbability("")).toBeNull();
    expect(toProbability("101")).toBeNull();
    expect(toProbability("-1")).toBeNull();
    expect(toProbability("ten")).toBeNull();
  });
});

describe("stage editing", () => {
  const draft = draftOf(pipeline);

  it("orders the draft by position", () => {
    expect(draft.stages.map((s) => s.name)).toEqual(["Lead", "Demo", "Won", "Lost"]);
    expect(draft.stages[0]).toMatchObject({ key: "lead", id: "lead", percent: "7", kind: "open" });
  });

  it("moves a stage up or down, and not past either end", () => {
    expect(moveStage(draft.stages, 1, -1).map((s) => s.id)).toEqual(["demo", "lead", "won", "lost"]);
    expect(moveStage(draft.stages, 1, 1).map((s) => s.id)).toEqual(["lead", "won", "demo", "lost"]);
    expect(moveStage(draft.stages, 0, -1)).toBe(draft.stages);
    expect(moveStage(draft.stages, 3, 1)).toBe(draft.stages);
  });

  it("adds a new open stage after the last open one, with its probability", () => {
    const stages = addStage(draft.stages);
    expect(stages.map((s) => s.name)).toEqual(["Lead", "Demo", "", "Won", "Lost"]);
    expect(stages[2]).toMatchObject({ percent: "35", kind: "open" });
    expect(stages[2].id).toBeUndefined();
    expect(new Set(stages.map((s) => s.key)).size).toBe(5);
    expect(addStage([]).map((s) => s.percent)).toEqual(["10"]);
  });

  it("sets 100 % or 0 % when a stage becomes won or lost, unless a percentage is given", () => {
    expect(changeStage(draft.stages, 1, { kind: "won" })[1]).toMatchObject({ kind: "won", percent: "100" });
    expect(changeStage(draft.stages, 1, { kind: "lost" })[1]).toMatchObject({ kind: "lost", percent: "0" });
    expect(changeStage(draft.stages, 2, { kind: "open" })[2]).toMatchObject({ kind: "open", percent: "100" });
    expect(changeStage(draft.stages, 1, { kind: "won", percent: "90" })[1].percent).toBe("90");
    expect(changeStage(draft.stages, 0, { name: "Inbound" }).map((s) => s.name)).toEqual(["Inbound", "Demo", "Won", "Lost"]);
  });

  it("removes a stage", () => {
    expect(removeStage(draft.stages, 1).map((s) => s.id)).toEqual(["lead", "won", "lost"]);
  });
});

describe("validation", () => {
  it("accepts the stored pipeline", () => {
    expect(validate(draftOf(pipeline))).toEqual({});
  });

  it("names each problem by field, as the server would refuse it", () => {
    const draft = draftOf(pipeline);
    const stages = changeStage(changeStage(addStage(draft.stages), 1, { name: " lead " }), 0, { percent: "120" });
    const errors = validate({ name: "  ", stages });
    expect(errors.name).toBeDefined();
    expect(errors["lead.percent"]).toBeDefined();
    expect(errors["demo.name"]).toContain("used twice");
    expect(errors[`${stages[2].key}.name`]).toBeDefined();
    expect(validate({ name: "P", stages: [] }).stages).toBeDefined();
  });
});

describe("payload", () => {
  it("sends stages in on-screen order with positions, probabilities and saved ids only", () => {
    const draft = draftOf(pipeline);
    const stages = addStage(moveStage(draft.stages, 1, -1));
    const body = toPayload({ name: " Sales 2 ", stages: changeStage(stages, 2, { name: " Proposal ", percent: "60" }) });
    expect(body.name).toBe("Sales 2");
    expect(body.stages).toEqual([
      { id: "demo", name: "Demo", probability: 0.35, kind: "open", position: 0 },
      { id: "lead", name: "Lead", probability: 0.07, kind: "open", position: 1 },
      { name: "Proposal", probability: 0.6, kind: "open", position: 2 },
      { id: "won", name: "Won", probability: 1, kind: "won", position: 3 },
      { id: "lost", name: "Lost", probability: 0, kind: "lost", position: 4 },
    ]);
  });

  it("is dirty only when something would change on the server", () => {
    const draft = draftOf(pipeline);
    expect(isDirty(draft, pipeline)).toBe(false);
    expect(isDirty({ ...draft, name: "Sales " }, pipeline)).toBe(false);
    expect(isDirty({ ...draft, stages: moveStage(draft.stages, 0, 1) }, pipeline)).toBe(true);
    expect(isDirty({ ...draft, stages: changeStage(draft.stages, 0, { percent: "8" }) }, pipeline)).toBe(true);
  });
});
