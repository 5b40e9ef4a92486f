//! The import wizard: upload → mapping → preview → commit → report. `/imports/new` uploads; an
//! import's own address shows the step its status puts it at (an uploaded import its mapping, or
//! its preview with `?step=preview`), so a reload or a shared link resumes where it was.

import { Link, useParams, useSearchParams } from "react-router";
import { useWorkspace } from "../app/workspace";
import { ApiProblem } from "../api/problem";
import { Empty, ErrorState, Loading } from "../ui/States";
import { useImport } from "./api";
import { stepOf } from "./model";
import { StatusBadge, Stepper } from "./parts";
import UploadStep from "./UploadStep";
import MappingStep from "./MappingStep";
import PreviewStep from "./PreviewStep";
import CommitStep from "./CommitStep";
import ReportStep from "./ReportStep";

export default function ImportWizard() {
  const workspace = useWorkspace();
  const { id } = useParams();
  const [params, setParams] = useSearchParams();
  const current = useImport(workspace.id, id);
  const item = current.data;
  const step = stepOf(id ? item?.status : undefined, params.get("step"));
  const goTo = (next: "mapping" | "preview") => setParams(next === "preview" ? { step: next } : {});

  let body;
  if (!id) {
    body = workspace.canEdit ? (
      <UploadStep />
    ) : (
      <Empty title="Importing needs the member role">Your role in this workspace is {workspace.role}: you can read past imports and their reports.</Empty>
    );
  } else if (current.isPending) body = <Loading label="Loading the import" />;
  else if (current.isError)
    body = current.error instanceof ApiProblem && current.error.status === 404 ? <Empty title="This import does not exist">It may belong to another workspace.</Empty> : <ErrorState error={current.error} onRetry={() => current.refetch()} />;
  else if (step === "mapping") body = <MappingStep key={current.data.updated_at} item={current.data} onPreview={() => goTo("preview")} />;
  else if (step === "preview") body = <PreviewStep item={current.data} onBack={() => goTo("mapping")} />;
  else if (step === "commit") body = <CommitStep item={current.data} />;
  else body = <ReportStep item={current.data} />;

  return (
    <div className="page import-wizard">
      <header className="page-header">
        <div>
          <Link to={`/w/${workspace.id}/imports`}>← All imports</Link>
          <h1>
            {id ? (item?.file_name ?? "Import") : "New import"} {id && item && <StatusBadge status={item.status} />}
          </h1>
        </div>
      </header>
      {(id ? item : workspace.canEdit) && <Stepper current={step} />}
      {body}
    </div>
  );
}
