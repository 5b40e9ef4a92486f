//! Step 1: choose what the file holds and upload it. The server detects the encoding, delimiter
//! and header and proposes a mapping; the wizard then moves to the import's own address.

import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useWorkspace, wsKey } from "../app/workspace";
import { ErrorText } from "../ui/States";
import { importKey, upload } from "./api";
import { OBJECTS, type ImportObject } from "./model";

export default function UploadStep() {
  const workspace = useWorkspace();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [object, setObject] = useState<ImportObject>("contacts");
  const [file, setFile] = useState<File | null>(null);
  const send = useMutation({
    mutationFn: (chosen: File) => upload(workspace.id, object, chosen),
    onSuccess: (detail) => {
      queryClient.setQueryData(importKey(workspace.id, detail.id), detail);
      queryClient.invalidateQueries({ queryKey: wsKey(workspace.id, "imports"), exact: true });
      navigate(`/w/${workspace.id}/imports/${detail.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) send.mutate(file);
  };

  return (
    <form className="card form upload" onSubmit={submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a file</h2>
      <p className="muted">
        A CSV or TSV export from any CRM or spreadsheet. Velocity detects its encoding, delimiter and header row and proposes where each column goes. Nothing is written until you
        commit, and a committed import can be undone.
      </p>
      <div className="form-row">
        <label>
          Import as
          <select value={object} onChange={(e) => setObject(e.target.value as ImportObject)}>
            {Object.entries(OBJECTS).map(([value, label]) => (
              <option key={value} value={value}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          CSV or TSV file
          <input type="file" accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
      </div>
      <ErrorText error={send.error} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={!file || send.isPending}>
          {send.isPending ? "Uploading…" : "Upload"}
        </button>
        {send.isPending && <span className="muted" role="status">Large files take a moment to read.</span>}
      </div>
    </form>
  );
}
