//! Settings → Members: who is in the workspace and with which role. Everyone sees the list;
//! admins and owners also add people by email, change roles and remove members. The server
//! decides who may touch owners and keeps at least one; its refusals are shown as it words them.

import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { ApiProblem } from "../api/problem";
import { currentUser } from "../api/session";
import { useMembers, useWorkspace, wsKey, type Member, type Role } from "../app/workspace";
import { date } from "../ui/format";
import { Empty, ErrorState, Loading } from "../ui/States";
import { ConfirmDialog, ProblemText, ROLE_HELP, RoleOptions } from "./ui";

type Pending = { member: Member; role: Role | null };

export function Members() {
  const workspace = useWorkspace();
  const members = useMembers(workspace.id);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const me = currentUser()?.id;
  const [confirming, setConfirming] = useState<Pending | null>(null);
  const path = (member: Member) => ({ params: { path: { workspace_id: workspace.id, user_id: member.user_id } } });

  const refresh = async (member: Member) => {
    await queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "members") });
    if (member.user_id === me) await queryClient.invalidateQueries({ queryKey: ["me"] });
  };
  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) =>
      unwrap(api.PATCH("/api/v1/workspaces/{workspace_id}/members/{user_id}", { ...path(member), body: { role } })),
    onSuccess: (_, { member }) => refresh(member),
  });
  const apply = async ({ member, role }: Pending) => {
    if (role) return changeRole.mutateAsync({ member, role });
    await unwrap(api.DELETE("/api/v1/workspaces/{workspace_id}/members/{user_id}", path(member)));
    if (member.user_id === me) {
      await queryClient.invalidateQueries({ queryKey: ["me"] });
      navigate("/");
    } else await refresh(member);
  };
  const pickRole = (member: Member, role: Role) => {
    changeRole.reset();
    // Changing one's own role may cost the right to change it back: ask first.
    if (member.user_id === me) setConfirming({ member, role });
    else changeRole.mutate({ member, role });
  };

  return (
    <section className="card settings-section" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {workspace.isAdmin ? <AddMember /> : <p className="muted">Only admins and owners can add members or change roles. {ROLE_HELP}</p>}
      {members.isPending && <Loading label="Loading members" />}
      {members.isError && <ErrorState error={members.error} onRetry={() => members.refetch()} />}
      {members.data?.items.length === 0 && <Empty title="No members yet" />}
      {changeRole.isError && !confirming && <ProblemText error={changeRole.error} />}
      {members.data && members.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                {workspace.isAdmin && <th scope="col"><span className="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((member) => {
                const name = member.name || member.email;
                const busy = changeRole.isPending && changeRole.variables?.member.user_id === member.user_id;
                return (
                  <tr key={member.user_id}>
                    <td>{name}{member.user_id === me && <span className="muted"> (you)</span>}</td>
                    <td>{member.email}</td>
                    <td>
                      {workspace.isAdmin ? (
                        <select aria-label={`Role of ${name}`} value={member.role} disabled={busy} onChange={(e) => pickRole(member, e.target.value as Role)}>
                          <RoleOptions />
                        </select>
                      ) : (
                        <span className="badge">{member.role}</span>
                      )}
                    </td>
                    <td>{date(member.joined_at)}</td>
                    {workspace.isAdmin && (
                      <td>
                        <button className="small danger" onClick={() => setConfirming({ member, role: null })} aria-label={`Remove ${name}`}>
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {confirming && <ConfirmMember pending={confirming} onConfirm={() => apply(confirming)} onClose={() => {
            setConfirming(null);
            changeRole.reset();
          }} />}
    </section>
  );
}

function ConfirmMember({ pending: { member, role }, onConfirm, onClose }: { pending: Pending; onConfirm: () => Promise<unknown>; onClose: () => void }) {
  const workspace = useWorkspace();
  const self = member.user_id === currentUser()?.id;
  const name = member.name || member.email;
  if (role) {
    return (
      <ConfirmDialog title="Change your own role?" action={`Make me ${role}`} onConfirm={onConfirm} onClose={onClose}>
        <p>You are about to become {role} in {workspace.name}. If the new role cannot manage members, only another admin or owner can change it back.</p>
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog title={self ? "Leave this workspace?" : `Remove ${name}?`} action={self ? "Leave workspace" : "Remove member"} onConfirm={onConfirm} onClose={onClose}>
      <p>
        {self ? `You will lose access to ${workspace.name} at once.` : `${name} (${member.email}) will lose access to ${workspace.name} at once.`} The records they
        created stay.
      </p>
    </ConfirmDialog>
  );
}

function AddMember() {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [added, setAdded] = useState("");
  const add = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/members", { params: { path: { workspace_id: workspace.id } }, body: { email: email.trim(), role } })),
    onSuccess: (member) => {
      setAdded(`${member.name || member.email} joined as ${member.role}.`);
      setEmail("");
      return queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "members") });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded("");
    add.mutate();
  };
  const emailProblem = add.error instanceof ApiProblem ? add.error.fieldMessage("email") : undefined;
  return (
    <form className="settings-inline-form" onSubmit={submit} aria-label="Add a member">
      <label>
        Email of an existing Velocity user
        <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={!!emailProblem} aria-describedby="add-member-email-problem" />
      </label>
      <label className="settings-role">
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <RoleOptions />
        </select>
      </label>
      <button className="primary" disabled={add.isPending}>{add.isPending ? "Adding…" : "Add member"}</button>
      <p className="muted settings-form-note">{ROLE_HELP}</p>
      <div id="add-member-email-problem" className="settings-form-note">{add.isError && <ProblemText error={add.error} />}</div>
      <p className="settings-form-note" role="status">{added}</p>
    </form>
  );
}
