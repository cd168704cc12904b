// The review flows through the whole window, on the demo back end (the same commands, errors and
// events as the real one): asking who reviews, optimistic marking, Shift+R, j/k, tagging a
// multi-selection and filtering by the tag.

import { act, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setTransport, type Transport } from "../../api/client";
import { createDemoTransport } from "../../api/demo";
import { App } from "../../app/App";
import { NotifyProvider } from "../../app/notify";

// The demo answers after 15–45 ms and the whole window renders: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

let base: Transport;
/** Releases the held set_review_state calls (only when `hold` is on). */
let held: (() => void)[] = [];
let hold = false;

function useDemo(params: string) {
  base = createDemoTransport(new URLSearchParams(params));
  held = [];
  hold = false;
  setTransport({
    ...base,
    invoke: (cmd, args) => {
      if (cmd === "set_review_state" && hold) {
        return new Promise((resolve, reject) => {
          held.push(() => void base.invoke(cmd, args).then(resolve, reject));
        });
      }
      return base.invoke(cmd, args);
    },
  });
}

function row(id: number): HTMLElement {
  const r = document.querySelector<HTMLElement>(`[data-testid="call-row"][data-call-id="${id}"]`);
  if (!r) throw new Error(`no row for call ${id}`);
  return r;
}

function rowState(id: number): string | null {
  return row(id).querySelector('[data-testid="review-state"]')?.getAttribute("data-state") ?? null;
}

async function openDetail(id: number) {
  await waitFor(() => expect(document.querySelector(`[data-testid="call-detail"][data-call-id="${id}"] [data-testid="review-bar"]`)).not.toBeNull());
}

function renderApp() {
  render(
    <NotifyProvider>
      <App />
    </NotifyProvider>,
  );
}

beforeEach(() => {
  window.location.hash = "";
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  URL.createObjectURL = () => "blob:demo";
});

// These flows press keys the moment rows appear. The window's key handlers are swapped in during
// the commit that paints the rows (app/hooks.ts useWindowKeys), so no key reaches a stale one.
describe("review in the window", () => {
  it("asks who reviews at the first R, then shows the row reviewed before the write finishes", async () => {
    useDemo("");
    renderApp();
    await waitFor(() => expect(rowState(4820)).toBe("unreviewed"));
    hold = true;
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "r" });

    const dialog = await screen.findByTestId("reviewer-dialog");
    fireEvent.change(within(dialog).getByTestId("reviewer-name"), { target: { value: "Sam Lee" } });
    fireEvent.change(within(dialog).getByTestId("reviewer-email"), { target: { value: "sam@example.com" } });
    fireEvent.click(within(dialog).getByTestId("reviewer-save"));

    await waitFor(() => expect(held.length).toBe(1));
    // The write is still held back: the row already shows it.
    expect(rowState(4820)).toBe("reviewed");
    expect(screen.queryByTestId("reviewer-dialog")).toBeNull();

    // Once written, the re-read rows and the progress line agree.
    act(() => held.forEach((f) => f()));
    await waitFor(() => expect(screen.getByTestId("review-progress")).toHaveTextContent("1 of 56 reviewed in this view"));
    expect(rowState(4820)).toBe("reviewed");

    // The reviewer is asked once: the next R marks at once.
    hold = true;
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "r" });
    expect(rowState(4819)).toBe("reviewed");
    expect(screen.queryByTestId("reviewer-dialog")).toBeNull();
    act(() => held.forEach((f) => f()));
  });

  it("reverts the optimistic state when the write fails", async () => {
    useDemo("reviewer");
    const failing = base;
    setTransport({
      ...failing,
      invoke: (cmd, args) =>
        cmd === "set_review_state"
          ? new Promise((_, reject) => setTimeout(() => reject(new Error("disk full")), 20))
          : failing.invoke(cmd, args),
    });
    renderApp();
    await waitFor(() => expect(rowState(4820)).toBe("unreviewed"));
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "r" });
    await waitFor(() => expect(rowState(4820)).toBe("reviewed"));
    await waitFor(() => expect(rowState(4820)).toBe("unreviewed"));
    expect(await screen.findByText("disk full")).toBeInTheDocument();
  });

  it("Shift+R marks the open call and opens the next call I have not reviewed in the filter", async () => {
    useDemo("reviewer");
    await base.invoke("set_review_state", { ids: [4819], state: "reviewed" });
    renderApp();
    await waitFor(() => expect(rowState(4820)).toBe("unreviewed"));
    fireEvent.click(row(4820));
    await openDetail(4820);

    fireEvent.keyDown(window, { key: "R", shiftKey: true });
    // 4819 is already reviewed by me: skipped.
    await openDetail(4818);
    expect(rowState(4820)).toBe("reviewed");
    const bar = screen.getByTestId("review-bar");
    // Once the call's review is read (nothing is shown before), it is mine to review.
    await waitFor(() => expect(within(bar).getByTestId("review-state")).toHaveAttribute("data-state", "unreviewed"));

    // The button does the same walk without marking.
    fireEvent.click(within(bar).getByTestId("next-unreviewed"));
    await openDetail(4817);
  });

  it("j and k move between calls in the log's order, in the log and in the detail", async () => {
    useDemo("reviewer");
    renderApp();
    await waitFor(() => expect(rowState(4818)).toBe("unreviewed"));
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "j" });
    expect(row(4819)).toHaveAttribute("aria-selected", "true");
    fireEvent.keyDown(window, { key: "Enter" });
    await openDetail(4819);

    fireEvent.keyDown(window, { key: "j" });
    await openDetail(4818);
    fireEvent.keyDown(window, { key: "k" });
    await openDetail(4819);
    fireEvent.keyDown(window, { key: "k" });
    await openDetail(4820);
    // Back in the log, the open call is the selected row.
    fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("call-detail")).toBeNull());
    expect(row(4820)).toHaveAttribute("aria-selected", "true");
  });

  it("tags a multi-selection from the log and filters by the tag, with counts", async () => {
    useDemo("reviewer");
    renderApp();
    await waitFor(() => expect(rowState(4816)).toBe("unreviewed"));

    // A tick, then Shift+tick selects the range; Ctrl+click adds one more row.
    fireEvent.click(within(row(4818)).getByTestId("row-check"));
    fireEvent.click(within(row(4816)).getByTestId("row-check"), { shiftKey: true });
    fireEvent.click(row(4812), { ctrlKey: true });
    expect(screen.queryByTestId("call-detail")).toBeNull();
    const bar = screen.getByTestId("bulk-bar");
    expect(bar).toHaveTextContent("4 calls selected");

    fireEvent.click(within(bar).getByTestId("bulk-tag"));
    const option = await within(bar).findByRole("button", { name: /compliance/ });
    expect(option).toHaveAttribute("data-state", "none");
    fireEvent.click(option);
    // At once, before the back end answers.
    for (const id of [4818, 4817, 4816, 4812]) {
      expect(row(id).querySelector('[data-testid="tag-chip"][data-tag="compliance"]')).not.toBeNull();
    }
    expect(row(4815).querySelector('[data-testid="tag-chip"][data-tag="compliance"]')).toBeNull();
    expect(within(bar).getByRole("button", { name: /compliance/ })).toHaveAttribute("data-state", "all");

    // The tag filter counts the calls carrying each tag, and shows only those.
    fireEvent.click(screen.getByTestId("tag-filter"));
    const choice = await waitFor(() => {
      const o = document.querySelector<HTMLElement>('[data-testid="tag-filter-option"][data-tag="compliance"]');
      expect(o).toHaveTextContent("4");
      return o as HTMLElement;
    });
    fireEvent.click(within(choice).getByRole("checkbox"));
    await waitFor(() =>
      expect(screen.getAllByTestId("call-row").map((r) => Number(r.getAttribute("data-call-id")))).toEqual([4818, 4817, 4816, 4812]),
    );
    // The count arrives on its own, after the rows.
    await waitFor(() => expect(screen.getByTestId("call-count")).toHaveTextContent("4 calls"));
  });
});
