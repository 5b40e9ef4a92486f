//! Settings → API keys (admins and owners): create a key for a role, see it once with a copy
//! button, list the keys by name, role and prefix, and revoke one after confirming.

import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { useWorkspace, wsKey, type Role } from "../app/workspace";
import { date } from "../ui/format";
import { Empty, ErrorState, Loading } from "../ui/States";
import { ConfirmDialog, Dialog, ProblemText, RoleOptions } from "./ui";

type ApiKey = Schemas["ApiKey"];

export function ApiKeys() {
  const workspace = useWorkspace();
  if (!workspace.isAdmin) {
    return (
      <section className="card settings-section" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <Empty title="Only admins and owners manage API keys">
          You are {workspace.role === "admin" ? "an" : "a"} {workspace.role} in {workspace.name}. Ask an admin or owner for a key.
        </Empty>
      </section>
    );
  }
  return <KeyManager />;
}

function KeyManager() {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const path = { params: { path: { workspace_id: workspace.id } } };
  const keys = useQuery({
    queryKey: wsKey(workspace.id, "api-keys"),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/api-keys", path)),
  });
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "api-keys") });
  const revoke = async (key: ApiKey) => {
    await unwrap(api.DELETE("/api/v1/workspaces/{workspace_id}/api-keys/{key_id}", { params: { path: { workspace_id: workspace.id, key_id: key.id } } }));
    await refresh();
  };

  return (
    <section className="card settings-section" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted">A key acts for this workspace alone, with the role it was given. Send it as <code>Authorization: Bearer vk_…</code>.</p>
      <NewKey onCreated={refresh} />
      {keys.isPending && <Loading label="Loading API keys" />}
      {keys.isError && <ErrorState error={keys.error} onRetry={() => keys.refetch()} />}
      {keys.data?.items.length === 0 && <Empty title="No API keys yet">Create one above to connect another tool to Velocity.</Empty>}
      {keys.data && keys.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Key starts with</th>
                <th scope="col">Created</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td><span className="badge">{key.role}</span></td>
                  <td><code>{key.prefix}…</code></td>
                  <td>{date(key.created_at)}</td>
                  <td>
                    <button className="small danger" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>Revoke</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <ConfirmDialog title={`Revoke “${revoking.name}”?`} action="Revoke key" onConfirm={() => revoke(revoking)} onClose={() => setRevoking(null)}>
          <p>Anything using the key starting <code>{revoking.prefix}</code> stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewKey({ onCreated }: { onCreated: () => unknown }) {
  const workspace = useWorkspace();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/api-keys", { params: { path: { workspace_id: workspace.id } }, body: { name: name.trim(), role } })),
    onSuccess: () => {
      setName("");
      return onCreated();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <>
      <form className="settings-inline-form" onSubmit={submit} aria-label="Create an API key">
        <label>
          Key name
          <input required maxLength={200} placeholder="e.g. Website form" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="settings-role">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <RoleOptions />
          </select>
        </label>
        <button className="primary" disabled={create.isPending}>{create.isPending ? "Creating…" : "Create key"}</button>
        <div className="settings-form-note">{create.isError && <ProblemText error={create.error} />}</div>
      </form>
      {create.data && <CreatedKey created={create.data} onClose={() => create.reset()} />}
    </>
  );
}

/** The new key, shown this once. */
function CreatedKey({ created, onClose }: { created: Schemas["CreatedApiKey"]; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("Copied to the clipboard.");
    } catch {
      input.current?.select();
      setCopied("Copying was blocked: the key is selected, press Ctrl+C (⌘C on a Mac).");
    }
  };
  return (
    <Dialog title={`API key “${created.name}” created`} onClose={onClose}>
      <p className="settings-warning">
        <strong>Copy this key now. You won't see it again:</strong> Velocity stores only a fingerprint of it.
      </p>
      <div className="settings-key">
        <label className="visually-hidden" htmlFor="created-key">The new API key</label>
        <input id="created-key" ref={input} readOnly value={created.key} onFocus={(e) => e.target.select()} />
        <button type="button" className="primary" onClick={copy}>Copy</button>
      </div>
      <p className="muted" role="status">{copied}</p>
      <p className="muted">It acts as a {created.role} in this workspace until it is revoked.</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>I have copied it</button>
      </div>
    </Dialog>
  );
}
