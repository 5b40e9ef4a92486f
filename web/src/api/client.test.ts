import { beforeEach, describe, expect, it, vi } from "vitest";
import { authedFetch } from "./client";
import { accessToken, onSessionChange, sessionState, startSession } from "./session";

const session = (access: string, refresh: string) => ({
  access_token: access,
  refresh_token: refresh,
  token_type: "Bearer",
  expires_in: 900,
  user: { id: "u1", email: "ada@example.com", name: "Ada" },
});

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("authed fetch", () => {
  beforeEach(() => {
    localStorage.clear();
    startSession(session("old-access", "refresh-1"));
  });

  it("refreshes an expired access token once and replays the request, body included", async () => {
    const seen: { url: string; auth: string | null; body: string }[] = [];
    vi.stubGlobal("fetch", async (request: Request) => {
      seen.push({ url: new URL(request.url).pathname, auth: request.headers.get("Authorization"), body: await request.text() });
      if (request.url.endsWith("/auth/refresh")) return json(200, session("new-access", "refresh-2"));
      return request.headers.get("Authorization") === "Bearer new-access" ? json(201, { id: "d1" }) : json(401, { title: "Unauthorized" });
    });
    const response = await authedFetch(new Request("http://localhost/api/v1/workspaces/w/deals", { method: "POST", body: JSON.stringify({ name: "Villa" }) }));
    expect(response.status).toBe(201);
    expect(seen.map((s) => s.url)).toEqual(["/api/v1/workspaces/w/deals", "/api/v1/auth/refresh", "/api/v1/workspaces/w/deals"]);
    expect(seen[1].body).toBe(JSON.stringify({ refresh_token: "refresh-1" }));
    expect(seen[2]).toMatchObject({ auth: "Bearer new-access", body: JSON.stringify({ name: "Villa" }) });
    expect(accessToken()).toBe("new-access");
  });

  it("shares one refresh between parallel calls (refresh tokens rotate)", async () => {
    let refreshes = 0;
    vi.stubGlobal("fetch", async (input: Request) => {
      if (input.url.endsWith("/auth/refresh")) {
        refreshes += 1;
        return json(200, session("new-access", "refresh-2"));
      }
      return input.headers.get("Authorization") === "Bearer new-access" ? json(200, {}) : json(401, {});
    });
    const calls = ["a", "b", "c"].map((path) => authedFetch(new Request(`http://localhost/api/v1/${path}`)));
    expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refreshes).toBe(1);
  });

  it("marks the session expired, keeping the screen, when the refresh token is refused", async () => {
    const states: string[] = [];
    const stop = onSessionChange((state) => states.push(state));
    vi.stubGlobal("fetch", async (input: Request) => (input.url.endsWith("/auth/refresh") ? json(401, {}) : json(401, { title: "Unauthorized" })));
    const response = await authedFetch(new Request("http://localhost/api/v1/me"));
    stop();
    expect(response.status).toBe(401);
    expect(states).toEqual(["expired"]);
    expect(sessionState()).toBe("expired");
    expect(accessToken()).toBeNull();
  });
});
