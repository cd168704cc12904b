import { describe, expect, it } from "vitest";
import { callSummary } from "../../test/fixtures";
import { mergeFirstPage } from "./useCallLog";

const q = { sort: "time" as const, order: "desc" as const };
const at = (id: number, minute: number) => callSummary({ id, created_at_ms: minute * 60_000 });

describe("mergeFirstPage", () => {
  it("puts new calls in front and keeps the rows loaded below the page", () => {
    const old = [at(5, 50), at(4, 40), at(3, 30), at(2, 20), at(1, 10)];
    // A page of 3 after call 6 arrived: 6, 5, 4 (more follow).
    const merged = mergeFirstPage(old, "after-1", [at(6, 60), at(5, 50), at(4, 40)], "after-4", q);
    expect(merged.rows.map((c) => c.id)).toEqual([6, 5, 4, 3, 2, 1]);
    // The old cursor still points after the last kept row.
    expect(merged.cursor).toBe("after-1");
  });

  it("takes the page's cursor when nothing loaded lies beyond it", () => {
    const merged = mergeFirstPage([at(2, 20)], "c-old", [at(3, 30), at(2, 20)], "c-new", q);
    expect(merged.rows.map((c) => c.id)).toEqual([3, 2]);
    expect(merged.cursor).toBe("c-new");
  });

  it("orders by duration when sorted by duration", () => {
    const dq = { sort: "duration" as const, order: "asc" as const };
    const d = (id: number, duration: number) => callSummary({ id, duration });
    const merged = mergeFirstPage([d(1, 10), d(2, 20), d(3, 30)], "c-old", [d(4, 5), d(1, 10)], "c-new", dq);
    expect(merged.rows.map((c) => c.id)).toEqual([4, 1, 2, 3]);
    expect(merged.cursor).toBe("c-old");
  });

  it("replaces everything when the page is the whole result", () => {
    const merged = mergeFirstPage([at(2, 20), at(1, 10)], null, [at(3, 30), at(1, 10)], null, q);
    expect(merged.rows.map((c) => c.id)).toEqual([3, 1]);
    expect(merged.cursor).toBeNull();
  });

  it("updates a changed row in place instead of duplicating it", () => {
    const changed = { ...at(5, 50), status: "failed" };
    const merged = mergeFirstPage([at(5, 50), at(4, 40), at(3, 30)], "c", [changed, at(4, 40)], "c2", q);
    expect(merged.rows.map((c) => c.id)).toEqual([5, 4, 3]);
    expect(merged.rows[0]?.status).toBe("failed");
  });
});
