//! The settings screen (`/w/:ws/settings`): members and roles, API keys, and pipelines with
//! their stages, as tabs. The open tab is in the URL (`?tab=keys`), so it can be linked to.

import type { KeyboardEvent } from "react";
import { useSearchParams } from "react-router";
import { useWorkspace } from "../app/workspace";
import { ApiKeys } from "./ApiKeys";
import { Members } from "./Members";
import { Pipelines } from "./Pipelines";

const TABS = [
  { id: "members", label: "Members", Panel: Members },
  { id: "keys", label: "API keys", Panel: ApiKeys },
  { id: "pipelines", label: "Pipelines", Panel: Pipelines },
];

export default function Settings() {
  const workspace = useWorkspace();
  const [params, setParams] = useSearchParams();
  const current = TABS.find((tab) => tab.id === params.get("tab")) ?? TABS[0];
  const open = (id: string) => setParams(id === TABS[0].id ? {} : { tab: id }, { replace: true });
  // Arrow keys move between tabs, as in any tab list.
  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = TABS[(TABS.indexOf(current) + step + TABS.length) % TABS.length];
    open(next.id);
    document.getElementById(`settings-tab-${next.id}`)?.focus();
  };
  return (
    <div className="page">
      <header className="page-header">
        <h1>Settings</h1>
        <span className="muted">
          {workspace.name} · your role: <span className="badge">{workspace.role}</span>
        </span>
      </header>
      <div className="tabs" role="tablist" aria-label="Settings sections" onKeyDown={onKeyDown}>
        {TABS.map((tab) => (
          <button
            key={tab.id}
            id={`settings-tab-${tab.id}`}
            role="tab"
            aria-selected={tab === current}
            aria-controls="settings-panel"
            tabIndex={tab === current ? 0 : -1}
            onClick={() => open(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div id="settings-panel" role="tabpanel" aria-labelledby={`settings-tab-${current.id}`}>
        <current.Panel />
      </div>
    </div>
  );
}
