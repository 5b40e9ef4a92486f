//! The import model's rules: which step an import resumes at, attribute keys, and which
//! repeated targets deserve a warning.

import { describe, expect, it } from "vitest";
import { attributeKey, duplicateTargets, stepOf, undoTotal } from "./model";

describe("import model", () => {
  it("resumes the wizard at the step the import's status puts it at", () => {
    expect(stepOf(undefined, null)).toBe("upload");
    expect(stepOf("uploaded", null)).toBe("mapping");
    expect(stepOf("uploaded", "preview")).toBe("preview");
    expect(stepOf("committing", "preview")).toBe("commit");
    for (const status of ["committed", "undoing", "undone", "failed"] as const) expect(stepOf(status, "preview")).toBe("report");
  });

  it("makes attribute keys as the server does", () => {
    expect(attributeKey("Lead Source")).toBe("lead_source");
    expect(attributeKey("  --Région (EU)-- ")).toBe("région_eu");
    expect(attributeKey("###")).toBe("");
  });

  it("warns about repeated targets, except nowhere and list fields", () => {
    expect(duplicateTargets({ A: "email", B: "email", C: "ignore", D: "ignore", E: "contact_ids", F: "contact_ids", G: "attribute:x", H: "attribute:x" })).toEqual([
      ["email", ["A", "B"]],
      ["attribute:x", ["G", "H"]],
    ]);
  });

  it("counts what an undo has to revert", () => {
    expect(undoTotal({ created: 3, updated: 2, merged: 1, skipped: 9, errors: 4 })).toBe(6);
  });
});
