import { describe, expect, it } from "vitest";
import { applyTheme } from "./App";

describe("applyTheme", () => {
  it("puts the override on <html>", () => {
    expect(applyTheme("dark")).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(applyTheme("light")).toBe("light");
    expect(document.documentElement.dataset.theme).toBe("light");
  });

  it("resolves the system theme to light when the system says nothing", () => {
    // jsdom has no prefers-color-scheme: the light palette is the default.
    expect(applyTheme("system")).toBe("light");
    expect(applyTheme(undefined)).toBe("light");
    expect(document.documentElement.dataset.theme).toBe("light");
  });
});
