// A key pressed the moment a view is painted must reach that view's handler. The whole-window
// review tests lost a key about one run in three: the detail's handler was attached in a passive
// effect, which runs some time after the paint, and the test pressed the key in between.

import { render, waitFor } from "@testing-library/react";
import { useEffect, useState } from "react";
import { expect, it } from "vitest";
import { useWindowKeys } from "./hooks";

function Keyed({ rows, onKey }: { rows: number; onKey: (rows: number) => void }) {
  useWindowKeys(() => onKey(rows));
  return <p data-testid="keyed">{rows} rows</p>;
}

/** Shows the keyed view once its data "arrives", outside any event (as a command's answer does). */
function Later({ onKey }: { onKey: (rows: number) => void }) {
  const [rows, setRows] = useState<number | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setRows(3), 5);
    return () => clearTimeout(t);
  }, []);
  return rows === null ? <p>loading</p> : <Keyed rows={rows} onKey={onKey} />;
}

it("hands a key pressed as soon as a view is painted to that view", async () => {
  const seen: number[] = [];
  // Press the key in the microtask after the paint, before anything scheduled later can run.
  let pressed = false;
  const observer = new MutationObserver(() => {
    if (pressed || !document.querySelector('[data-testid="keyed"]')) return;
    pressed = true;
    const before = seen.length;
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "j" }));
    // No handler yet: the key is lost.
    if (seen.length === before) seen.push(-1);
  });
  observer.observe(document.body, { childList: true, subtree: true });
  render(<Later onKey={(n) => seen.push(n)} />);
  await waitFor(() => expect(seen.length).toBeGreaterThan(0));
  observer.disconnect();
  expect(seen).toEqual([3]);
});
