import { describe, expect, it } from "vitest";
import { ensureLanguageTag } from "./UPlotChart";

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
