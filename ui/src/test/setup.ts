import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { notifyManager } from "@tanstack/react-query";
import { afterEach } from "vitest";

// Cache updates reach components at once, inside the `act` of the event that caused them.
notifyManager.setScheduler((cb) => cb());

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
