//! The signed-in session: tokens kept in localStorage so a reload stays signed in, and a
//! single refresh in flight at a time (refresh tokens rotate: two parallel refreshes with the
//! same token would revoke the whole session).

import type { components } from "./schema.gen";

export type Session = components["schemas"]["Session"];

const KEY = "velocity.session";

type Stored = { access: string; refresh: string; user: Session["user"] };

type Listener = (state: SessionState) => void;
export type SessionState = "signed-in" | "signed-out" | "expired";

let stored: Stored | null = read();
let state: SessionState = stored ? "signed-in" : "signed-out";
const listeners = new Set<Listener>();
let refreshing: Promise<boolean> | null = null;
// Kept after the session expires, to greet the user by name in the sign-in dialog.
let lastUser: Session["user"] | null = stored?.user ?? null;

function read(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function set(next: Stored | null, nextState: SessionState) {
  stored = next;
  if (next) lastUser = next.user;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  state = nextState;
  listeners.forEach((listener) => listener(state));
}

export function accessToken(): string | null {
  return stored?.access ?? null;
}

export function currentUser(): Session["user"] | null {
  return stored?.user ?? (state === "expired" ? lastUser : null);
}

export function sessionState(): SessionState {
  return state;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startSession(session: Session) {
  set({ access: session.access_token, refresh: session.refresh_token, user: session.user }, "signed-in");
}

/** Forgets the tokens; `expired` keeps the screen and asks for the password again. */
export function endSession(reason: "signed-out" | "expired" = "signed-out") {
  set(null, reason);
}

export function refreshToken(): string | null {
  return stored?.refresh ?? null;
}

/** Trades the refresh token for a new pair; false when the session is over. */
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    const token = stored?.refresh;
    refreshing = (async () => {
      if (!token) return false;
      try {
        const response = await fetch(
          new Request(new URL("/api/v1/auth/refresh", window.location.origin), {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ refresh_token: token }),
          }),
        );
        if (!response.ok) {
          endSession("expired");
          return false;
        }
        startSession((await response.json()) as Session);
        return true;
      } catch {
        return false;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}
