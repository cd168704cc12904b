import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(async () => {
  cleanup();
  // Imported here, not above: a test's `vi.mock` of the client must apply to the query layer too.
  const { resetQueries } = await import("../api/queries");
  resetQueries();
});

// jsdom has no layout; components that scroll into view must not crash under test.
if (!("scrollIntoView" in Element.prototype)) {
  Object.defineProperty(Element.prototype, "scrollIntoView", { value: () => undefined });
}
