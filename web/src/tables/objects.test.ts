import { describe, expect, it } from "vitest";
import { OBJECTS, isTableObject, toApiValue } from "./objects";

describe("table objects", () => {
  it("knows the four tables and nothing else", () => {
    expect(["deals", "contacts", "accounts", "products"].every(isTableObject)).toBe(true);
    expect(isTableObject("tasks")).toBe(false);
    expect(isTableObject(undefined)).toBe(false);
  });

  it("turns typed input into API values", () => {
    expect(toApiValue("money", " 12,500 ")).toBe(12500);
    expect(toApiValue("number", "")).toBeNull();
    // Not a number: sent as typed so the server's 422 names the field.
    expect(toApiValue("money", "lots")).toBe("lots");
    expect(toApiValue("text", "  Acme ")).toBe("Acme");
  });

  it("names records the way people read them", () => {
    expect(OBJECTS.contacts.label({ first_name: "Ada", last_name: "Lovelace" })).toBe("Ada Lovelace");
    expect(OBJECTS.contacts.label({ email: "ada@example.com" })).toBe("ada@example.com");
    expect(OBJECTS.deals.label({ name: "Villa" })).toBe("Villa");
  });
});
