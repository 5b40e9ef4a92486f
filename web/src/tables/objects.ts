//! What each table shows: its columns (how a value is shown and edited, and whether the API
//! can sort by it), its filters and the fields of its "new" form. The field names are checked
//! against the generated record types, so a renamed API field fails the type check.

import type { ObjectName, RecordTypes } from "../api/records";

export type TableObject = "deals" | "contacts" | "accounts" | "products";

export type ValueKind = "text" | "money" | "number" | "date" | "owner" | "stage" | "enum" | "email" | "phone" | "account";

export type ColumnSpec<K extends ObjectName> = {
  field: keyof RecordTypes[K] & string;
  label: string;
  kind: ValueKind;
  sortable?: boolean;
  editable?: boolean;
  options?: readonly string[];
};

export type FilterSpec = { param: string; label: string; kind: "owner" | "stage" | "enum"; options?: readonly string[] };

export type ObjectSpec<K extends ObjectName> = {
  title: string;
  singular: string;
  columns: ColumnSpec<K>[];
  filters: FilterSpec[];
  /** Fields the "new" form asks for, required ones first. */
  form: ColumnSpec<K>[];
  /** How a record is named in links and headings. */
  label: (record: Partial<RecordTypes[K]>) => string;
};

export const DEAL_STATUSES = ["open", "won", "lost"] as const;
export const FORECAST_CATEGORIES = ["pipeline", "best_case", "commit", "closed", "omitted"] as const;
export const PRODUCT_STATUSES = ["available", "reserved", "sold"] as const;

const deals: ObjectSpec<"deals"> = {
  title: "Deals",
  singular: "deal",
  columns: [
    { field: "name", label: "Deal", kind: "text", sortable: true, editable: true },
    { field: "amount", label: "Amount", kind: "money", sortable: true, editable: true },
    { field: "stage_id", label: "Stage", kind: "stage", editable: true },
    { field: "close_date", label: "Close date", kind: "date", sortable: true, editable: true },
    { field: "owner_id", label: "Owner", kind: "owner", editable: true },
    { field: "status", label: "Status", kind: "enum", sortable: true },
    { field: "forecast_category", label: "Forecast", kind: "enum", options: FORECAST_CATEGORIES, editable: true },
  ],
  filters: [
    { param: "status", label: "Status", kind: "enum", options: DEAL_STATUSES },
    { param: "stage_id", label: "Stage", kind: "stage" },
    { param: "owner_id", label: "Owner", kind: "owner" },
  ],
  form: [
    { field: "name", label: "Deal name", kind: "text" },
    { field: "amount", label: "Amount", kind: "money" },
    { field: "close_date", label: "Close date", kind: "date" },
    { field: "stage_id", label: "Stage", kind: "stage" },
    { field: "account_id", label: "Account", kind: "account" },
    { field: "owner_id", label: "Owner", kind: "owner" },
  ],
  label: (deal) => deal.name ?? "Deal",
};

const contacts: ObjectSpec<"contacts"> = {
  title: "Contacts",
  singular: "contact",
  columns: [
    { field: "first_name", label: "First name", kind: "text", sortable: true, editable: true },
    { field: "last_name", label: "Last name", kind: "text", sortable: true, editable: true },
    { field: "email", label: "Email", kind: "email", sortable: true, editable: true },
    { field: "phone", label: "Phone", kind: "phone", editable: true },
    { field: "title", label: "Title", kind: "text", sortable: true, editable: true },
    { field: "owner_id", label: "Owner", kind: "owner", editable: true },
  ],
  filters: [{ param: "owner_id", label: "Owner", kind: "owner" }],
  form: [
    { field: "first_name", label: "First name", kind: "text" },
    { field: "last_name", label: "Last name", kind: "text" },
    { field: "email", label: "Email", kind: "email" },
    { field: "phone", label: "Phone", kind: "phone" },
    { field: "title", label: "Title", kind: "text" },
    { field: "account_id", label: "Account", kind: "account" },
  ],
  label: (c) => [c.first_name, c.last_name].filter(Boolean).join(" ") || c.email || "Contact",
};

const accounts: ObjectSpec<"accounts"> = {
  title: "Accounts",
  singular: "account",
  columns: [
    { field: "name", label: "Account", kind: "text", sortable: true, editable: true },
    { field: "domain", label: "Domain", kind: "text", sortable: true, editable: true },
    { field: "industry", label: "Industry", kind: "text", sortable: true, editable: true },
    { field: "employees", label: "Employees", kind: "number", sortable: true, editable: true },
    { field: "annual_revenue", label: "Annual revenue", kind: "money", sortable: true, editable: true },
    { field: "owner_id", label: "Owner", kind: "owner", editable: true },
  ],
  filters: [{ param: "owner_id", label: "Owner", kind: "owner" }],
  form: [
    { field: "name", label: "Account name", kind: "text" },
    { field: "domain", label: "Domain", kind: "text" },
    { field: "industry", label: "Industry", kind: "text" },
    { field: "phone", label: "Phone", kind: "phone" },
  ],
  label: (a) => a.name ?? "Account",
};

const products: ObjectSpec<"products"> = {
  title: "Products",
  singular: "product",
  columns: [
    { field: "name", label: "Product", kind: "text", sortable: true, editable: true },
    { field: "sku", label: "SKU", kind: "text", sortable: true, editable: true },
    { field: "category", label: "Category", kind: "text", sortable: true, editable: true },
    { field: "price", label: "Price", kind: "money", sortable: true, editable: true },
    { field: "status", label: "Status", kind: "enum", options: PRODUCT_STATUSES, editable: true },
  ],
  filters: [{ param: "status", label: "Status", kind: "enum", options: PRODUCT_STATUSES }],
  form: [
    { field: "name", label: "Product name", kind: "text" },
    { field: "sku", label: "SKU", kind: "text" },
    { field: "price", label: "Price", kind: "money" },
    { field: "category", label: "Category", kind: "text" },
  ],
  label: (p) => p.name ?? "Product",
};

export const OBJECTS: { [K in TableObject]: ObjectSpec<K> } = { deals, contacts, accounts, products };

export function isTableObject(name: string | undefined): name is TableObject {
  return name !== undefined && name in OBJECTS;
}

/** A form or cell value as the API wants it: numbers as numbers, empty as null. */
export function toApiValue(kind: ValueKind, raw: string): string | number | null {
  const text = raw.trim();
  if (text === "") return null;
  if (kind === "money" || kind === "number") {
    const number = Number(text.replace(/[, ]/g, ""));
    return Number.isFinite(number) ? number : text;
  }
  return text;
}
