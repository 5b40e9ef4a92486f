import { describe, expect, it } from "vitest";
import { groupTasks } from "./Tasks";
import { isOverdue, type Task } from "./TaskRow";

const task = (id: string, due_at: string | null, status = "open") => ({ id, title: id, due_at, status, version: 1, created_at: "", updated_at: "" }) as Task;

describe("task groups", () => {
  const now = new Date(2026, 10, 23, 12, 0, 0);
  const at = (day: number, hour: number) => new Date(2026, 10, day, hour, 0, 0).toISOString();

  it("sorts tasks into overdue, today, upcoming and no date", () => {
    const groups = groupTasks([task("late", at(22, 9)), task("this morning", at(23, 8)), task("tonight", at(23, 20)), task("tomorrow", at(24, 9)), task("whenever", null)], now);
    expect(groups.overdue.map((t) => t.id)).toEqual(["late", "this morning"]);
    expect(groups.today.map((t) => t.id)).toEqual(["tonight"]);
    expect(groups.upcoming.map((t) => t.id)).toEqual(["tomorrow"]);
    expect(groups.someday.map((t) => t.id)).toEqual(["whenever"]);
  });

  it("never calls a finished task overdue", () => {
    expect(isOverdue(task("a", at(20, 9)), now.getTime())).toBe(true);
    expect(isOverdue(task("a", at(20, 9), "done"), now.getTime())).toBe(false);
    expect(isOverdue(task("a", null), now.getTime())).toBe(false);
  });
});
