import { describe, expect, it } from "vitest";
import { ensureLanguageTag, singleXRange } from "./UPlotChart";

describe("ensureLanguageTag", () => {
  it("replaces a POSIX locale name, which Intl refuses, and keeps a real tag", () => {
    const posix = { language: "C" } as Navigator;
    expect(() => new Intl.NumberFormat(posix.language)).toThrow(RangeError);
    ensureLanguageTag(posix);
    expect(posix.language).toBe("en-US");
    const ro = { language: "ro-RO" } as Navigator;
    ensureLanguageTag(ro);
    expect(ro.language).toBe("ro-RO");
  });
});

describe("singleXRange", () => {
  it("gives one day's points a week around them, and leaves wider data to uPlot", () => {
    const day = Date.parse("2025-01-15T00:00:00Z") / 1000;
    expect(singleXRange([day])).toEqual({ min: day - 3.5 * 86_400, max: day + 3.5 * 86_400 });
    expect(singleXRange([day, day])).toEqual({ min: day - 3.5 * 86_400, max: day + 3.5 * 86_400 });
    expect(singleXRange([day, day + 86_400])).toBeNull();
    expect(singleXRange([])).toBeNull();
  });
});
