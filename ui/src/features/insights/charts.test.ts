import { describe, expect, it, vi } from "vitest";
import type { Stats } from "../../api/types";
import { emptyFilters, toCallQuery } from "../calls/viewState";
import { dailyRate, daySeconds, durationBins, stackByStatus, wilson } from "./charts";

const byDay: Stats["by_day"] = [
  { day: "2025-03-01", calls: 3, achieved: 2, by_status: { completed: 2, busy: 1 } },
  { day: "2025-03-02", calls: 1, achieved: 0, by_status: { completed: 1 } },
];

describe("charts", () => {
  it("puts each day at the local midnight the log's filter for that day starts from, DST included", () => {
    vi.stubEnv("TZ", "America/New_York");
    try {
      // Sunday 2025-03-09, the spring change: 23 hours, from 05:00 UTC.
      expect(daySeconds("2025-03-09")).toBe(Date.parse("2025-03-09T05:00:00Z") / 1000);
      expect(daySeconds("2025-03-10") - daySeconds("2025-03-09")).toBe(23 * 3600);
      // A click on that day's bar opens the log with from = to = the day: the same bounds.
      const q = toCallQuery({ filters: { ...emptyFilters, from: "2025-03-09", to: "2025-03-09" }, sort: "time", order: "desc" });
      expect(q.from_ms).toBe(daySeconds("2025-03-09") * 1000);
      expect(q.to_ms).toBe(daySeconds("2025-03-10") * 1000);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("stacks each day's statuses, the most frequent status at the bottom", () => {
    const s = stackByStatus(byDay);
    expect(s.statuses).toEqual(["completed", "busy"]);
    expect(s.tops).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(s.x).toEqual([s.x[0], (s.x[0] ?? 0) + 86_400]);
  });

  it("gives the Wilson interval per day, as the back end does overall", () => {
    const w = wilson(8, 10);
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
    expect(dailyRate(byDay).rate).toEqual([2 / 3, 0]);
    expect(wilson(0, 0).rate).toBeNull();
  });

  it("bins durations up to where 99% of calls ended", () => {
    const h = [
      { from: 10, to: 11, calls: 50 },
      { from: 60, to: 65, calls: 49 },
      { from: 3600, to: 3900, calls: 1 },
    ];
    const b = durationBins(h, 13);
    expect(b.width).toBe(5);
    expect(b.calls.reduce((a, n) => a + n, 0)).toBe(100);
    expect(b.calls[2]).toBe(50);
    expect(b.calls[b.calls.length - 1]).toBe(50);
  });
});
