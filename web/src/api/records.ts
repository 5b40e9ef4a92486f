//! The CRM records (accounts, contacts, deals, pipelines, activities, tasks, products): one
//! generic set of calls, typed per object by the generated schemas.

import { request, type Schemas } from "./client";

export type RecordTypes = {
  accounts: Schemas["Account"];
  contacts: Schemas["Contact"];
  deals: Schemas["Deal"];
  pipelines: Schemas["Pipeline"];
  activities: Schemas["Activity"];
  tasks: Schemas["Task"];
  products: Schemas["Product"];
};
export type ObjectName = keyof RecordTypes;
export type Stored<K extends ObjectName> = RecordTypes[K] & { id: string; version: number; created_at: string; updated_at: string };
export type Page<K extends ObjectName> = { items: Stored<K>[]; next_cursor: string | null };
export type ListQuery = { limit?: number; cursor?: string | null; sort?: string; q?: string } & Record<string, string | number | null | undefined>;
export type Event = Schemas["Event"];

const base = (ws: string, object: ObjectName) => `/api/v1/workspaces/${ws}/${object}`;

/** `?a=1&b=2` from the set values (empty ones are left out), or nothing. */
export function queryString(query: ListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

const json = (body: unknown): RequestInit => ({
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

export async function list<K extends ObjectName>(ws: string, object: K, query: ListQuery = {}): Promise<Page<K>> {
  return (await request(base(ws, object) + queryString(query))).json();
}

/** Every record of a small object (pipelines, products for a picker), following the cursor. */
export async function listAll<K extends ObjectName>(ws: string, object: K, query: ListQuery = {}): Promise<Stored<K>[]> {
  const items: Stored<K>[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<K> = await list(ws, object, { ...query, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export async function get<K extends ObjectName>(ws: string, object: K, id: string): Promise<Stored<K>> {
  return (await request(`${base(ws, object)}/${id}`)).json();
}

export async function create<K extends ObjectName>(ws: string, object: K, body: Partial<RecordTypes[K]>): Promise<Stored<K>> {
  return (await request(base(ws, object), { method: "POST", ...json(body) })).json();
}

/** A partial update guarded by the version the user saw: a newer one on the server is a 412. */
export async function update<K extends ObjectName>(
  ws: string,
  object: K,
  id: string,
  changes: Partial<RecordTypes[K]>,
  version?: number,
): Promise<Stored<K>> {
  const init = json(changes);
  if (version !== undefined) (init.headers as Record<string, string>)["If-Match"] = `"${version}"`;
  return (await request(`${base(ws, object)}/${id}`, { method: "PATCH", ...init })).json();
}

export async function remove(ws: string, object: ObjectName, id: string): Promise<void> {
  await request(`${base(ws, object)}/${id}`, { method: "DELETE" });
}

export async function history(ws: string, object: ObjectName, id: string): Promise<Event[]> {
  const body: { items: Event[] } = await (await request(`${base(ws, object)}/${id}/history`)).json();
  return body.items;
}
