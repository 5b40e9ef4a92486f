//! The frame around every workspace screen: navigation, the workspace switcher, the user menu,
//! the live event feed and, when the session runs out, a sign-in dialog over the screen so
//! nothing typed is lost.

import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { Navigate, NavLink, Outlet, useNavigate, useParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { buildWorkspaceInfo, useMe, useMembers, usePipelines, WorkspaceContext } from "./workspace";
import { useLiveUpdates } from "./live";
import { currentUser, endSession, onSessionChange, refreshToken, sessionState } from "../api/session";
import { ErrorState, ErrorText, Loading } from "../ui/States";
import { api, unwrap } from "../api/client";
import { useSubmit } from "../ui/useSubmit";
import { ReauthDialog } from "../auth/AuthPages";

function useSessionState() {
  return useSyncExternalStore(onSessionChange, sessionState);
}

const NAV: [string, string][] = [
  ["", "Dashboard"],
  ["board", "Pipeline"],
  ["deals", "Deals"],
  ["contacts", "Contacts"],
  ["accounts", "Accounts"],
  ["products", "Products"],
  ["tasks", "Tasks"],
  ["forecast", "Forecast"],
  ["imports", "Import"],
  ["settings", "Settings"],
];

/** `/`: the user's first workspace, or the sign-in page. */
export function FirstWorkspace() {
  const state = useSessionState();
  const me = useMe();
  if (state !== "signed-in") return <Navigate to="/login" replace />;
  if (me.isPending) return <Loading label="Opening Velocity" />;
  if (me.isError) return <ErrorState error={me.error} />;
  const first = me.data.workspaces[0];
  return first ? <Navigate to={`/w/${first.id}`} replace /> : <ErrorState error={new Error("You are not a member of any workspace yet. Ask an admin to add you.")} />;
}

export async function signOut(navigate: (to: string) => void, clear: () => void) {
  const token = refreshToken();
  endSession();
  clear();
  if (token) {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    }).catch(() => undefined);
  }
  navigate("/login");
}

/** A new workspace of the user's own (they become its owner), opened at once. */
function NewWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    const created = await unwrap(api.POST("/api/v1/workspaces", { body: { name } }));
    await queryClient.invalidateQueries({ queryKey: ["me"] });
    onClose();
    navigate(`/w/${created.id}`);
  });
  return (
    <div className="overlay" onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <form className="dialog form" role="dialog" aria-modal="true" aria-labelledby="new-ws-title" onSubmit={submit}>
        <h2 id="new-ws-title">New workspace</h2>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus placeholder="Lisbon office" />
        </label>
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button className="primary" disabled={busy}>Create workspace</button>
        </div>
      </form>
    </div>
  );
}

export function Layout() {
  const { ws = "" } = useParams();
  const state = useSessionState();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const members = useMembers(ws);
  const pipelines = usePipelines(ws);
  const [menuOpen, setMenuOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  useLiveUpdates(ws, state === "signed-in");
  const workspace = me.data?.workspaces.find((w) => w.id === ws);
  const info = useMemo(
    () => (workspace && members.data && pipelines.data ? buildWorkspaceInfo(workspace, members.data.items, pipelines.data) : null),
    [workspace, members.data, pipelines.data],
  );
  useEffect(() => {
    if (info) document.title = `${info.name} · Velocity`;
  }, [info]);

  if (state === "signed-out") return <Navigate to="/login" replace />;
  const user = currentUser();
  let body;
  if (me.isError || members.isError || pipelines.isError) body = <ErrorState error={me.error ?? members.error ?? pipelines.error} />;
  else if (me.data && !workspace) body = <ErrorState error={new Error("This workspace does not exist or you are not a member of it.")} />;
  else if (!info) body = <Loading label="Loading workspace" />;
  else body = <Outlet />;

  return (
    <div className="shell">
      <a href="#main" className="skip-link">Skip to content</a>
      <aside className="sidebar">
        <div className="brand" aria-label="Velocity">
          <img src="/favicon.svg" alt="" width={24} height={24} /> Velocity
        </div>
        <label className="switcher">
          <span className="visually-hidden">Workspace</span>
          <select value={ws} onChange={(e) => navigate(`/w/${e.target.value}`)} aria-label="Workspace">
            {me.data?.workspaces.map((w) => (
              <option key={w.id} value={w.id}>{w.name}</option>
            ))}
          </select>
        </label>
        <nav aria-label="Main">
          {NAV.map(([path, label]) => (
            <NavLink key={path} to={`/w/${ws}${path ? `/${path}` : ""}`} end={path === ""} className="nav-link">
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="user-menu">
          <button className="ghost" aria-expanded={menuOpen} onClick={() => setMenuOpen((open) => !open)}>
            <span className="avatar" aria-hidden>{(user?.name || user?.email || "?").slice(0, 1).toUpperCase()}</span>
            <span className="user-name">{user?.name}</span>
            <span className="visually-hidden"> (account menu)</span>
          </button>
          {menuOpen && (
            <div className="menu" role="menu">
              <div className="menu-note">{user?.email}{info ? ` · ${info.role}` : ""}</div>
              <button role="menuitem" onClick={() => { setMenuOpen(false); setCreating(true); }}>New workspace…</button>
              <button role="menuitem" onClick={() => signOut(navigate, () => queryClient.clear())}>Log out</button>
            </div>
          )}
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        <WorkspaceContext.Provider value={info}>{body}</WorkspaceContext.Provider>
      </main>
      {creating && <NewWorkspaceDialog onClose={() => setCreating(false)} />}
      {state === "expired" && <ReauthDialog />}
    </div>
  );
}
