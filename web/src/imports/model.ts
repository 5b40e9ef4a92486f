//! What the import screens know about imports, without React: the fields each object can be
//! mapped to (checked against the generated schemas, so a field added on the server fails `tsc`
//! until it has a label here), the editable draft of a mapping and the changes it sends, the
//! warnings a mapping deserves, and which wizard step an import is at.

import type { Schemas } from "../api/client";
import type { RecordTypes } from "../api/records";

export type Import = Schemas["Import"];
export type ImportDetail = Schemas["ImportDetail"];
export type ImportPlan = Schemas["ImportPlan"];
export type ImportObject = Import["object"];
export type ImportStatus = Import["status"];
export type ValueMapping = Schemas["ImportValueMapping"];
export type Option = { value: string; label: string };

/** The keys of `T` that are not `readonly` (the generator marks the server's read-only fields). */
type Writable<T> = {
  [K in keyof T]-?: (<X>() => X extends { [Q in K]: T[K] } ? 1 : 2) extends <X>() => X extends { -readonly [Q in K]: T[K] } ? 1 : 2 ? K : never;
}[keyof T];
type FieldOf<K extends ImportObject> = Exclude<Writable<RecordTypes[K]>, "attributes">;

/** Every field a column can go to, per object, with the words shown for it. */
const FIELDS: { [K in ImportObject]: Record<FieldOf<K>, string> } = {
  contacts: {
    first_name: "First name",
    last_name: "Last name",
    email: "Email",
    phone: "Phone",
    title: "Job title",
    account_id: "Account (by name, domain or id)",
    owner_id: "Owner (member name or email)",
  },
  accounts: {
    name: "Name",
    domain: "Domain",
    website: "Website",
    phone: "Phone",
    industry: "Industry",
    employees: "Employees",
    annual_revenue: "Annual revenue",
    address: "Address",
    owner_id: "Owner (member name or email)",
  },
  deals: {
    name: "Name",
    amount: "Amount",
    currency: "Currency",
    close_date: "Close date",
    probability: "Probability",
    forecast_category: "Forecast category",
    stage_id: "Stage (by name)",
    pipeline_id: "Pipeline (by name)",
    lost_reason: "Lost reason",
    account_id: "Account (by name, domain or id)",
    contact_ids: "Contacts (by email or name)",
    product_ids: "Products (by SKU or name)",
    owner_id: "Owner (member name or email)",
  },
  activities: {
    kind: "Kind",
    subject: "Subject",
    body: "Body",
    occurred_at: "Occurred at",
    duration_minutes: "Duration (minutes)",
    contact_id: "Contact (by email or name)",
    account_id: "Account (by name, domain or id)",
    deal_id: "Deal (by name)",
    owner_id: "Owner (member name or email)",
  },
  products: {
    name: "Name",
    sku: "SKU",
    price: "Price",
    currency: "Currency",
    category: "Category",
    status: "Status",
    owner_id: "Owner (member name or email)",
  },
};

export const OBJECTS: Record<ImportObject, string> = {
  contacts: "Contacts",
  accounts: "Accounts",
  deals: "Deals",
  activities: "Activities",
  products: "Products",
};

/** The keys an existing record can be found by, strongest first (the server's own order). */
export const MATCH_KEYS: Record<ImportObject, string[]> = {
  contacts: ["external_id", "email", "phone"],
  accounts: ["external_id", "domain", "name"],
  deals: ["external_id", "name"],
  activities: ["external_id"],
  products: ["external_id", "sku", "name"],
};

/** Objects whose rows are also compared by likeness (name, company, address). */
export const FUZZY_OBJECTS: ImportObject[] = ["contacts", "accounts"];

/** Fields whose columns combine (a deal's contacts and products), so two columns are fine. */
const LIST_FIELDS = ["contact_ids", "product_ids"];

export const IGNORE = "ignore";
export const ATTRIBUTE = "attribute:";
export const LOW_CONFIDENCE = 0.8;

export function fieldLabel(object: ImportObject, field: string): string {
  if (field === "external_id") return "External id";
  const fields: Record<string, string> = FIELDS[object];
  return fields[field] ?? field;
}

/** The targets a column can be sent to, besides a custom attribute. */
export function targetOptions(object: ImportObject): Option[] {
  const options = Object.entries(FIELDS[object] as Record<string, string>).map(([value, label]) => ({ value, label }));
  if (object === "contacts") options.push({ value: "full_name", label: "Full name (split into first and last)" });
  options.push({ value: "external_id", label: "External id (kept, and used to match)" });
  return options;
}

/** A target in words: a field's label, `Attribute “region”` or `Not imported`. */
export function targetLabel(object: ImportObject, target: string): string {
  if (target === IGNORE) return "Not imported";
  if (target.startsWith(ATTRIBUTE)) return `Attribute “${target.slice(ATTRIBUTE.length)}”`;
  return targetOptions(object).find((o) => o.value === target)?.label ?? target;
}

/** A column name as an attribute key, as the server makes it: lower case, words joined by `_`. */
export function attributeKey(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "_").replace(/^_+|_+$/g, "");
}

/** What a person can change about a mapping before it is saved. */
export type Draft = {
  targets: Record<string, string>;
  mode: ImportPlan["mode"];
  match_keys: string[];
  day_order: ImportPlan["day_order"];
  default_country: string;
  fuzzy_matching: boolean;
};

/** The body of `PUT …/mapping`: only what changed, since a column sent counts as chosen. */
export type PlanChanges = Partial<Omit<Draft, "targets">> & {
  columns?: { column: string; target: string }[];
  values?: { field: string; source: string; target: string | null }[];
};

export function draftOf(plan: ImportPlan): Draft {
  return {
    targets: Object.fromEntries(plan.columns.map((c) => [c.column, c.target])),
    mode: plan.mode,
    match_keys: plan.match_keys,
    day_order: plan.day_order,
    default_country: plan.default_country,
    fuzzy_matching: plan.fuzzy_matching,
  };
}

/** The changes from the saved plan to the draft, or null when there are none. */
export function changesFrom(plan: ImportPlan, draft: Draft): PlanChanges | null {
  const changes: PlanChanges = {};
  const columns = plan.columns.filter((c) => draft.targets[c.column] !== c.target).map((c) => ({ column: c.column, target: draft.targets[c.column] }));
  if (columns.length) changes.columns = columns;
  if (draft.mode !== plan.mode) changes.mode = draft.mode;
  if (draft.match_keys.join() !== plan.match_keys.join()) changes.match_keys = draft.match_keys;
  if (draft.day_order !== plan.day_order) changes.day_order = draft.day_order;
  if (draft.default_country.toUpperCase() !== plan.default_country) changes.default_country = draft.default_country;
  if (draft.fuzzy_matching !== plan.fuzzy_matching) changes.fuzzy_matching = draft.fuzzy_matching;
  return Object.keys(changes).length ? changes : null;
}

/** Targets that more than one column goes to (each row keeps only one of their values). */
export function duplicateTargets(targets: Record<string, string>): [string, string[]][] {
  const byTarget = new Map<string, string[]>();
  for (const [column, target] of Object.entries(targets)) {
    if (target === IGNORE || LIST_FIELDS.includes(target)) continue;
    byTarget.set(target, [...(byTarget.get(target) ?? []), column]);
  }
  return [...byTarget].filter(([, columns]) => columns.length > 1);
}

/** Match keys in the server's order, with one switched on or off. */
export function toggleKey(object: ImportObject, keys: string[], key: string, on: boolean): string[] {
  return MATCH_KEYS[object].filter((k) => (k === key ? on : keys.includes(k)));
}

export type Step = "upload" | "mapping" | "preview" | "commit" | "report";
export const STEPS: [Step, string][] = [
  ["upload", "Upload"],
  ["mapping", "Mapping"],
  ["preview", "Preview"],
  ["commit", "Commit"],
  ["report", "Report"],
];

/** The step an import is at: an uploaded one at its mapping (or the preview the person asked
 * for), a committing one at its progress, anything later at its report. */
export function stepOf(status: ImportStatus | undefined, requested: string | null): Step {
  if (!status) return "upload";
  if (status === "uploaded") return requested === "preview" ? "preview" : "mapping";
  if (status === "committing") return "commit";
  return "report";
}

/** Row outcomes as counted by a preview or a commit, in words. */
export const OUTCOME_LABELS: [string, string][] = [
  ["created", "New records"],
  ["updated", "Updated"],
  ["merged", "Merged"],
  ["skipped", "Skipped"],
  ["review", "To review"],
  ["errors", "Errors"],
];

export const isBusy = (status: ImportStatus | undefined) => status === "committing" || status === "undoing";

/** Rows an undo has to revert: what the commit created, updated or merged. */
export function undoTotal(counts: Schemas["ImportCounts"]): number {
  return (counts.created ?? 0) + (counts.updated ?? 0) + (counts.merged ?? 0);
}

export const DELIMITERS: Record<Import["layout"]["delimiter"], string> = { ",": "Comma", ";": "Semicolon", tab: "Tab", "|": "Pipe" };
export const ENCODINGS: Record<Import["encoding"], string> = {
  "utf-8": "UTF-8",
  "utf-8-bom": "UTF-8 with byte-order mark",
  "utf-16le": "UTF-16 (little-endian)",
  "utf-16be": "UTF-16 (big-endian)",
  "windows-1252": "Windows-1252 (Latin-1)",
};

/** The allowed values of an enumerated field, keyed so that a value added on the server fails `tsc`. */
const ENUMS: Record<string, string[]> = {
  kind: Object.keys({ call: 0, email: 0, meeting: 0, note: 0, visit: 0 } satisfies Record<Schemas["Activity"]["kind"], 0>),
  status: Object.keys({ available: 0, reserved: 0, sold: 0 } satisfies Record<NonNullable<Schemas["Product"]["status"]>, 0>),
  forecast_category: Object.keys({ pipeline: 0, best_case: 0, commit: 0, closed: 0, omitted: 0 } satisfies Record<NonNullable<Schemas["Deal"]["forecast_category"]>, 0>),
};

/** Where a value of an enumerated column may go: stage names, members' emails or allowed values. */
export function valueOptions(field: string, stages: string[], members: { email: string; name: string }[]): Option[] {
  if (field === "stage_id") return stages.map((name) => ({ value: name, label: name }));
  if (field === "owner_id") return members.map((m) => ({ value: m.email, label: m.name ? `${m.name} (${m.email})` : m.email }));
  return (ENUMS[field] ?? []).map((value) => ({ value, label: value.replace(/_/g, " ") }));
}
