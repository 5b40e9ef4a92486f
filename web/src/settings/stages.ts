//! Editing a pipeline as pure functions: a draft of its name and stages (probability typed as a
//! percentage), moves, additions and removals, the server's rules checked before saving, and
//! the PATCH body the draft becomes.

import type { Pipeline, Stage } from "../app/workspace";

export type StageKind = NonNullable<Stage["kind"]>;
export const STAGE_KINDS: StageKind[] = ["open", "won", "lost"];
/** The server's limits (velocity-domain's stage parsing). */
export const MAX_STAGES = 50;
export const MAX_NAME = 200;

/** A stage being edited. `key` survives reordering; `id` is absent for a stage not yet saved. */
export type DraftStage = { key: string; id?: string; name: string; percent: string; kind: StageKind };
export type Draft = { name: string; stages: DraftStage[] };
/** Problems by field: "name", "stages", or `${stage key}.name` / `${stage key}.percent`. */
export type DraftErrors = Record<string, string>;

/** The stages a new pipeline starts with. */
export const STARTER_STAGES: Stage[] = [
  { name: "New", probability: 0.1, kind: "open", position: 0 },
  { name: "Won", probability: 1, kind: "won", position: 1 },
  { name: "Lost", probability: 0, kind: "lost", position: 2 },
];

let added = 0;
const newKey = () => `new-${++added}`;

/** 0.35 → "35", without floating-point noise (0.07 → "7"). */
export function toPercent(probability: number): string {
  return String(Math.round(probability * 10_000) / 100);
}

/** "35" → 0.35; null for anything that is not a number from 0 to 100. */
export function toProbability(percent: string): number | null {
  const text = percent.trim();
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || value < 0 || value > 100) return null;
  return Math.round(value * 100) / 10_000;
}

export function draftOf(pipeline: Pick<Pipeline, "name" | "stages">): Draft {
  const stages = [...pipeline.stages].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  return {
    name: pipeline.name,
    stages: stages.map((s) => ({ key: s.id ?? newKey(), id: s.id, name: s.name, percent: toPercent(s.probability), kind: s.kind ?? "open" })),
  };
}

/** The stage at `index` swapped with its neighbour `delta` (-1 up, +1 down) away; unchanged at an end. */
export function moveStage(stages: DraftStage[], index: number, delta: -1 | 1): DraftStage[] {
  const target = index + delta;
  if (index < 0 || target < 0 || target >= stages.length) return stages;
  const next = [...stages];
  [next[index], next[target]] = [next[target], next[index]];
  return next;
}

/** A new open stage, placed after the last open one so won and lost stay at the end. */
export function addStage(stages: DraftStage[]): DraftStage[] {
  let at = stages.length;
  while (at > 0 && stages[at - 1].kind !== "open") at--;
  const stage: DraftStage = { key: newKey(), name: "", percent: at > 0 ? stages[at - 1].percent : "10", kind: "open" };
  return [...stages.slice(0, at), stage, ...stages.slice(at)];
}

export function removeStage(stages: DraftStage[], index: number): DraftStage[] {
  return stages.filter((_, i) => i !== index);
}

/** Changes one stage. Turning a stage won or lost also sets its probability to 100 % or 0 %. */
export function changeStage(stages: DraftStage[], index: number, changes: Partial<Omit<DraftStage, "key" | "id">>): DraftStage[] {
  const closing = changes.kind === "won" ? "100" : changes.kind === "lost" ? "0" : undefined;
  const percent = changes.percent ?? closing;
  return stages.map((stage, i) => (i === index ? { ...stage, ...changes, ...(percent !== undefined ? { percent } : {}) } : stage));
}

/** The problems the server would refuse the draft for; empty when it can be saved. */
export function validate(draft: Draft): DraftErrors {
  const errors: DraftErrors = {};
  const name = draft.name.trim();
  if (!name) errors.name = "Give the pipeline a name.";
  else if (name.length > MAX_NAME) errors.name = `At most ${MAX_NAME} characters.`;
  if (draft.stages.length === 0) errors.stages = "A pipeline needs at least one stage.";
  if (draft.stages.length > MAX_STAGES) errors.stages = `A pipeline can have at most ${MAX_STAGES} stages.`;
  const seen = new Set<string>();
  for (const stage of draft.stages) {
    const stageName = stage.name.trim();
    if (!stageName) errors[`${stage.key}.name`] = "Name the stage.";
    else if (stageName.length > MAX_NAME) errors[`${stage.key}.name`] = `At most ${MAX_NAME} characters.`;
    else if (seen.has(stageName.toLowerCase())) errors[`${stage.key}.name`] = `“${stageName}” is used twice.`;
    seen.add(stageName.toLowerCase());
    if (toProbability(stage.percent) === null) errors[`${stage.key}.percent`] = "Enter a number from 0 to 100.";
  }
  return errors;
}

/** The PATCH (or POST) body: stages in their on-screen order, saved ones keeping their ids. */
export function toPayload(draft: Draft): { name: string; stages: Stage[] } {
  return {
    name: draft.name.trim(),
    stages: draft.stages.map((s, position) => ({
      ...(s.id ? { id: s.id } : {}),
      name: s.name.trim(),
      probability: toProbability(s.percent) ?? 0,
      kind: s.kind,
      position,
    })),
  };
}

export function isDirty(draft: Draft, pipeline: Pick<Pipeline, "name" | "stages">): boolean {
  return JSON.stringify(toPayload(draft)) !== JSON.stringify(toPayload(draftOf(pipeline)));
}
