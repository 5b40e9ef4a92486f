import { describe, expect, it } from "vitest";
import { ApiProblem } from "./problem";

describe("problem messages", () => {
  it("names each invalid field", () => {
    const problem = new ApiProblem(422, { title: "Unprocessable Entity", detail: "2 fields are invalid", errors: [{ field: "amount", message: "must be at least 0" }, { field: "close_date", message: "is not a date" }] });
    expect(problem.summary).toBe("2 fields are invalid — amount: must be at least 0; close_date: is not a date");
    expect(problem.fieldMessage("amount")).toBe("must be at least 0");
  });

  it("says a field error once when the detail already carries it", () => {
    const problem = new ApiProblem(422, { detail: "file: the file is empty", errors: [{ field: "file", message: "the file is empty" }] });
    expect(problem.summary).toBe("file: the file is empty");
  });

  it("puts conflicts, permissions and lost connections in words", () => {
    expect(new ApiProblem(412, { detail: "version 3 is stale" }).summary).toMatch(/changed this record/);
    expect(new ApiProblem(403, {}).summary).toMatch(/role does not allow/);
    expect(new ApiProblem(0, {}).summary).toMatch(/cannot be reached/);
  });
});
