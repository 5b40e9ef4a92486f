//! What every workspace screen needs to know: who the user is there (their role decides
//! which edit controls exist), the members (owner names) and the pipelines with their stages.

import { createContext, useContext } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { listAll, type Stored } from "../api/records";

export type Role = Schemas["WorkspaceRole"]["role"];
export type Member = Schemas["Member"];
export type Pipeline = Stored<"pipelines">;
export type Stage = Schemas["Stage"];

export type WorkspaceInfo = {
  id: string;
  name: string;
  role: Role;
  canEdit: boolean;
  isAdmin: boolean;
  members: Member[];
  pipelines: Pipeline[];
  memberName: (userId: string | null | undefined) => string;
  stage: (stageId: string | null | undefined) => Stage | undefined;
};

export const WorkspaceContext = createContext<WorkspaceInfo | null>(null);

export function useWorkspace(): WorkspaceInfo {
  const info = useContext(WorkspaceContext);
  if (!info) throw new Error("useWorkspace outside a workspace");
  return info;
}

/** The query-key prefix of everything read from one workspace (live updates refresh it). */
export const wsKey = (ws: string, ...rest: unknown[]) => ["ws", ws, ...rest];

export function useMe() {
  return useQuery({ queryKey: ["me"], queryFn: () => unwrap(api.GET("/api/v1/me")), staleTime: 60_000 });
}

export function useMembers(ws: string) {
  return useQuery({
    queryKey: wsKey(ws, "members"),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/members", { params: { path: { workspace_id: ws } } })),
  });
}

export function usePipelines(ws: string) {
  return useQuery({ queryKey: wsKey(ws, "pipelines"), queryFn: () => listAll(ws, "pipelines", { sort: "created_at" }) });
}

export function buildWorkspaceInfo(workspace: Schemas["WorkspaceRole"], members: Member[], pipelines: Pipeline[]): WorkspaceInfo {
  const names = new Map(members.map((m) => [m.user_id, m.name || m.email]));
  const stages = new Map<string, Stage>();
  for (const pipeline of pipelines) for (const stage of pipeline.stages) if (stage.id) stages.set(stage.id, stage);
  return {
    id: workspace.id,
    name: workspace.name,
    role: workspace.role,
    canEdit: workspace.role !== "viewer",
    isAdmin: workspace.role === "owner" || workspace.role === "admin",
    members,
    pipelines,
    memberName: (id) => (id ? (names.get(id) ?? "Former member") : "Unassigned"),
    stage: (id) => (id ? stages.get(id) : undefined),
  };
}
