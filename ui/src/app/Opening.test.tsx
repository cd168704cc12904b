// Opening a call through the whole window, on the demo back end: the call is read in the
// click's own task and the view switches when it is in, so the detail's first frame shows the
// call (no frame of placeholder for the answer to wait behind), with one read, not two; a slow
// answer shows the placeholder after OPEN_WAIT_MS; a later opening wins over one still waiting.

import { act, configure, fireEvent, render, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setTransport, type Transport } from "../api/client";
import { createDemoTransport } from "../api/demo";
import { resetQueries } from "../api/queries";
import { App, OPEN_WAIT_MS } from "./App";
import { NotifyProvider } from "./notify";

configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

/** get_call requests, by id, in order. */
let reads: number[] = [];
/** ids whose get_call answers wait for `release`. */
let held = new Set<number>();
let release: (() => void)[] = [];

beforeEach(() => {
  window.location.hash = "";
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  URL.createObjectURL = () => "blob:demo";
  reads = [];
  held = new Set();
  release = [];
  const base: Transport = createDemoTransport(new URLSearchParams(""));
  setTransport({
    ...base,
    invoke: (cmd, args) => {
      if (cmd !== "get_call") return base.invoke(cmd, args);
      const id = (args as { id: number }).id;
      reads.push(id);
      if (!held.has(id)) return base.invoke(cmd, args);
      return new Promise((resolve, reject) => release.push(() => void base.invoke(cmd, args).then(resolve, reject)));
    },
  });
});

afterEach(() => resetQueries());

function rowOf(id: number): HTMLElement {
  const r = document.querySelector<HTMLElement>(`[data-testid="call-row"][data-call-id="${id}"]`);
  if (!r) throw new Error(`no row for call ${id}`);
  return r;
}

async function twoRows(): Promise<[number, number]> {
  render(
    <NotifyProvider>
      <App />
    </NotifyProvider>,
  );
  await waitFor(() => expect(document.querySelectorAll('[data-testid="call-row"]').length).toBeGreaterThan(1));
  const ids = [...document.querySelectorAll<HTMLElement>('[data-testid="call-row"]')].map((r) => Number(r.dataset.callId));
  return [ids[0] ?? 0, ids[1] ?? 0];
}

/** Each state of the detail as it entered the DOM: "data" (turns shown) or "placeholder". */
function watchDetail(): { seen: string[]; stop: () => void } {
  const seen: string[] = [];
  const look = () => {
    const d = document.querySelector('[data-testid="call-detail"]');
    if (!d) return;
    const state = d.querySelector('[data-testid="transcript-turn"]') ? "data" : d.querySelector(".placeholder") ? "placeholder" : "other";
    const label = `${d.getAttribute("data-call-id")}:${state}`;
    if (seen[seen.length - 1] !== label) seen.push(label);
  };
  const obs = new MutationObserver(look);
  obs.observe(document.body, { childList: true, subtree: true });
  return { seen, stop: () => obs.disconnect() };
}

describe("opening a call", () => {
  it("shows the call in the detail's first frame, read once", async () => {
    const [id] = await twoRows();
    const watch = watchDetail();
    fireEvent.click(rowOf(id));
    // The view has not switched yet: the log stays until the call is in.
    expect(document.querySelector('[data-testid="call-detail"]')).toBeNull();
    await waitFor(() => expect(document.querySelector('[data-testid="call-detail"] [data-testid="transcript-turn"]')).not.toBeNull());
    watch.stop();
    expect(watch.seen).toEqual([`${id}:data`]);
    expect(reads).toEqual([id]);
  });

  it("shows the placeholder when the answer is slower than the wait, then the call", async () => {
    const [id] = await twoRows();
    held.add(id);
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      fireEvent.click(rowOf(id));
      expect(document.querySelector('[data-testid="call-detail"]')).toBeNull();
      act(() => void vi.advanceTimersByTime(OPEN_WAIT_MS));
    } finally {
      vi.useRealTimers();
    }
    await waitFor(() => expect(document.querySelector('[data-testid="call-detail"] .placeholder')).not.toBeNull());
    act(() => release.forEach((r) => r()));
    await waitFor(() => expect(document.querySelector('[data-testid="call-detail"] [data-testid="transcript-turn"]')).not.toBeNull());
    // The detail waited for the opening's read instead of asking again.
    expect(reads).toEqual([id]);
  });

  it("lets a later opening win over one still waiting", async () => {
    const [slow, fast] = await twoRows();
    held.add(slow);
    fireEvent.click(rowOf(slow));
    fireEvent.click(rowOf(fast));
    await waitFor(() =>
      expect(document.querySelector(`[data-testid="call-detail"][data-call-id="${fast}"] [data-testid="transcript-turn"]`)).not.toBeNull(),
    );
    act(() => release.forEach((r) => r()));
    await new Promise((r) => setTimeout(r, OPEN_WAIT_MS * 2));
    expect(document.querySelector('[data-testid="call-detail"]')?.getAttribute("data-call-id")).toBe(String(fast));
  });
});
