//! The typed API client. Paths, parameters and bodies come from schema.gen.ts, generated from
//! the server's OpenAPI document, so a change on either side that the other does not follow
//! fails `tsc`. Every call carries the access token and, on a 401, refreshes it once and
//! retries, so an expired token never costs the user what they were typing.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.gen";
import { accessToken, refresh } from "./session";
import { ApiProblem, problemFrom } from "./problem";

export type Schemas = components["schemas"];

/** fetch with the bearer token, one refresh-and-retry on 401, and network failures as problems. */
export async function authedFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const send = (request: Request) => {
    const token = accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return fetch(request).catch(() => {
      throw new ApiProblem(0, { title: "Offline" });
    });
  };
  const response = await send(input);
  const isAuthCall = new URL(input.url).pathname.startsWith("/api/v1/auth/");
  if (response.status !== 401 || isAuthCall) return response;
  return (await refresh()) ? send(retry) : response;
}

export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authedFetch });

/** The body of a successful call, or the server's problem thrown as an `ApiProblem`. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ApiProblem(response.status, (error ?? {}) as object);
  }
  return data as T;
}

/** A plain authorised request, for the few calls outside the typed paths (uploads, CSV). */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await authedFetch(new Request(new URL(path, window.location.origin), init));
  if (!response.ok) throw await problemFrom(response);
  return response;
}
