//! The import calls the screens share: reading an import (polled while a job runs), the multipart
//! upload, mapping changes, and downloads that need the Authorization header (fetched as a blob
//! and handed to the browser through an object URL).

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, request, unwrap } from "../api/client";
import { wsKey } from "../app/workspace";
import { isBusy, type Import, type ImportDetail, type ImportObject, type PlanChanges } from "./model";

export const importsPath = (ws: string) => `/api/v1/workspaces/${ws}/imports`;
export const importKey = (ws: string, id: string, ...rest: unknown[]) => wsKey(ws, "imports", id, ...rest);

const POLL_MS = 700;

export function useImport(ws: string, id: string | undefined) {
  return useQuery({
    queryKey: importKey(ws, id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/imports/{id}", { params: { path: { workspace_id: ws, id: id ?? "" } } })),
    enabled: !!id,
    refetchInterval: (query) => (isBusy(query.state.data?.status) ? POLL_MS : false),
  });
}

export async function upload(ws: string, object: ImportObject, file: File): Promise<ImportDetail> {
  const form = new FormData();
  form.append("object", object);
  form.append("file", file);
  return (await request(importsPath(ws), { method: "POST", body: form })).json();
}

export async function saveMapping(ws: string, id: string, changes: PlanChanges): Promise<ImportDetail> {
  const init = { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(changes) };
  return (await request(`${importsPath(ws)}/${id}/mapping`, init)).json();
}

/** Refreshes everything read about one import (and the list) after it changed, showing the
 * server's answer (an import, with or without its sample) at once. */
export function useRefreshImport(ws: string, id: string) {
  const queryClient = useQueryClient();
  return (update?: Import) => {
    if (update) queryClient.setQueryData<ImportDetail>(importKey(ws, id), (old) => (old ? { ...old, ...update } : old));
    return queryClient.invalidateQueries({ queryKey: wsKey(ws, "imports") });
  };
}

/** Saves a file the server sends as an attachment, under the name it gives. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await request(path);
  const blob = await response.blob();
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = named?.[1] ?? fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
