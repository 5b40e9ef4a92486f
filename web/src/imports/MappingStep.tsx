//! Step 2: what was detected about the file, and the proposed mapping to check and change. Only
//! what the person changed is saved (a column sent counts as chosen), before the preview.

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useWorkspace } from "../app/workspace";
import { ErrorText } from "../ui/States";
import { saveMapping, useRefreshImport } from "./api";
import MappingEditor from "./MappingEditor";
import { changesFrom, draftOf, type ImportDetail } from "./model";
import { DetectedFile } from "./parts";

export default function MappingStep({ item, onPreview }: { item: ImportDetail; onPreview: () => void }) {
  const workspace = useWorkspace();
  const refresh = useRefreshImport(workspace.id, item.id);
  const [draft, setDraft] = useState(() => draftOf(item.plan));
  const changes = changesFrom(item.plan, draft);
  const save = useMutation({
    mutationFn: async (then: "stay" | "preview") => ({ then, saved: changes ? await saveMapping(workspace.id, item.id, changes) : undefined }),
    onSuccess: ({ then, saved }) => {
      refresh(saved);
      if (then === "preview") onPreview();
    },
  });

  return (
    <>
      <DetectedFile item={item} />
      <section className="card" aria-labelledby="mapping-title">
        <div className="section-title">
          <h2 id="mapping-title">Where each column goes</h2>
          {changes && workspace.canEdit && <span className="badge import-uploaded">Unsaved changes</span>}
        </div>
        <MappingEditor
          object={item.object}
          plan={item.plan}
          headers={item.layout.headers}
          sample={item.sample}
          draft={draft}
          onChange={setDraft}
          problem={save.error}
          readOnly={!workspace.canEdit}
        />
      </section>
      <ErrorText error={save.error} />
      <div className="toolbar">
        {workspace.canEdit && (
          <button onClick={() => save.mutate("stay")} disabled={!changes || save.isPending}>
            Save mapping
          </button>
        )}
        <button className="primary" onClick={() => save.mutate("preview")} disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Preview the import"}
        </button>
      </div>
    </>
  );
}
