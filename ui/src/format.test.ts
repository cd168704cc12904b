import { describe, expect, it } from "vitest";
import { formatCount, formatDuration, formatRelativeTime, plural } from "./format";

describe("formatRelativeTime", () => {
  const now = new Date(2025, 2, 4, 15, 0, 0).getTime();

  it("says just now under a minute", () => {
    expect(formatRelativeTime(now - 20_000, now)).toBe("just now");
  });

  it("counts minutes under an hour", () => {
    expect(formatRelativeTime(now - 3 * 60_000 - 5_000, now)).toBe("3 min ago");
    expect(formatRelativeTime(now - 59 * 60_000, now)).toBe("59 min ago");
  });

  it("counts hours under a day", () => {
    expect(formatRelativeTime(now - 5 * 3600_000, now)).toBe("5 h ago");
    expect(formatRelativeTime(now - 23 * 3600_000 - 59 * 60_000, now)).toBe("23 h ago");
  });

  it("shows a local date and time from a day on", () => {
    const ms = new Date(2025, 2, 2, 9, 5).getTime();
    const text = formatRelativeTime(ms, now);
    expect(text).not.toMatch(/ago/);
    expect(text).toMatch(/2025/);
    expect(text).toMatch(/09:05|9:05/);
  });

  it("does not call a future time (clock skew) relative", () => {
    expect(formatRelativeTime(now + 10 * 60_000, now)).not.toMatch(/ago|just now/);
  });

  it("shows a dash for an unknown time", () => {
    expect(formatRelativeTime(null, now)).toBe("–");
  });
});

describe("formatDuration", () => {
  it("uses m:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(5)).toBe("0:05");
    expect(formatDuration(125)).toBe("2:05");
    expect(formatDuration(599.6)).toBe("10:00");
  });

  it("uses h:mm:ss from an hour", () => {
    expect(formatDuration(3725)).toBe("1:02:05");
  });

  it("shows a dash when unknown or invalid", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(-3)).toBe("–");
  });
});

describe("counts", () => {
  it("groups thousands", () => {
    expect(formatCount(1234)).toBe("1,234");
    expect(plural(1234567, "call", "calls")).toBe("1,234,567 calls");
    expect(plural(1, "call", "calls")).toBe("1 call");
  });
});
