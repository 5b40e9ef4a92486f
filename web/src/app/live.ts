//! Live updates: the workspace's event stream over a WebSocket. Each event marks the workspace's
//! cached reads stale (batched, so an import's thousands of events cost a few refetches), and
//! only the screens on view fetch again. A dropped connection resumes from the last event seen.

import { useEffect } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { accessToken, refresh } from "../api/session";

const BATCH_MS = 400;

export function useLiveUpdates(ws: string, enabled: boolean) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || !ws) return;
    let socket: WebSocket | null = null;
    let since: number | "latest" = "latest";
    let closed = false;
    let retryIn = 1_000;
    let dropped = false;
    let pending: ReturnType<typeof setTimeout> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const flush = () => {
      pending = null;
      queryClient.invalidateQueries({
        predicate: (query) => query.queryKey[0] === "ws" && query.queryKey[1] === ws,
      });
    };
    const connect = () => {
      const token = accessToken();
      if (closed || !token) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      const url = `${scheme}://${window.location.host}/api/v1/workspaces/${ws}/events/stream?since=${since}&access_token=${encodeURIComponent(token)}`;
      socket = new WebSocket(url);
      socket.onopen = () => {
        retryIn = 1_000;
        // Events missed while the feed was down (before any `seq` was known) are caught up by
        // reading again.
        if (dropped && since === "latest") flush();
        dropped = false;
      };
      socket.onmessage = (message) => {
        try {
          const event = JSON.parse(message.data as string) as { seq: number };
          since = event.seq;
        } catch {
          return;
        }
        pending ??= setTimeout(flush, BATCH_MS);
      };
      socket.onclose = async () => {
        socket = null;
        if (closed) return;
        dropped = true;
        // A closed feed may mean the access token expired: refresh before reconnecting.
        await refresh();
        timer = setTimeout(connect, retryIn);
        retryIn = Math.min(retryIn * 2, 30_000);
      };
    };
    connect();
    return () => {
      closed = true;
      if (pending) clearTimeout(pending);
      if (timer) clearTimeout(timer);
      socket?.close();
    };
  }, [ws, enabled, queryClient]);
}
