//! Errors from the API, as the problem+json body the server sends, turned into words a
//! person can act on.

export type FieldError = { field: string; message: string };

export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly currentVersion?: number;

  constructor(status: number, body: Partial<{ title: string; detail: string; errors: FieldError[]; current_version: number }>) {
    super(body.detail || body.title || `Request failed (${status})`);
    this.status = status;
    this.title = body.title ?? "Error";
    this.detail = body.detail ?? "";
    this.errors = body.errors ?? [];
    this.currentVersion = body.current_version;
  }

  /** The message to show: the server's detail, and each field's problem. */
  get summary(): string {
    if (this.status === 0) return "Velocity cannot be reached. Check your connection and try again.";
    if (this.status === 403) return this.detail || "Your role does not allow this.";
    if (this.status === 412) return "Someone else changed this record since you opened it.";
    if (this.status === 429) return this.detail || "Too many attempts. Wait a moment and try again.";
    // Some details already spell out their one field error; say each thing once.
    const fields = this.errors
      .filter((e) => !this.detail.includes(e.message))
      .map((e) => `${e.field}: ${e.message}`)
      .join("; ");
    return [this.detail || this.title, fields].filter(Boolean).join(" — ");
  }

  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export async function problemFrom(response: Response): Promise<ApiProblem> {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { detail: response.statusText };
  }
  return new ApiProblem(response.status, body);
}

export function describe(error: unknown): string {
  if (error instanceof ApiProblem) return error.summary;
  if (error instanceof Error) return error.message;
  return String(error);
}
