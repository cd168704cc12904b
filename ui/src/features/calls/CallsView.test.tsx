import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { createRef } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { CallPage, CallsChanged, PaintedHit } from "../../api/types";
import { callSummary, runningListener } from "../../test/fixtures";
import { CallsView } from "./CallsView";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    listCalls: vi.fn(),
    countCalls: vi.fn(),
    callFacets: vi.fn(),
    searchCalls: vi.fn(),
    loadViewState: vi.fn(),
    saveViewState: vi.fn(),
    sendTestCall: vi.fn(),
    onCallsChanged: vi.fn(),
  };
});

const m = vi.mocked(client);
let emitCallsChanged: ((p: CallsChanged) => void) | null = null;

beforeEach(() => {
  vi.clearAllMocks();
  emitCallsChanged = null;
  m.callFacets.mockResolvedValue({ statuses: [{ value: "completed", count: 1234 }], campaigns: [] });
  m.loadViewState.mockResolvedValue(null);
  m.saveViewState.mockResolvedValue(null);
  m.countCalls.mockResolvedValue(1234);
  m.onCallsChanged.mockImplementation((cb) => {
    emitCallsChanged = cb;
    return Promise.resolve(() => undefined);
  });
});

function renderView(callsTotal: number) {
  return render(
    <CallsView
      active
      covered={false}
      callsTotal={callsTotal}
      listener={runningListener}
      searchInput={createRef<HTMLInputElement>()}
      onOpen={vi.fn()}
      onListenerChanged={vi.fn()}
    />,
  );
}

describe("CallsView", () => {
  it("shows the empty state with the webhook URL and test call, not a table, on a new install", async () => {
    m.listCalls.mockResolvedValue({ items: [], next_cursor: null });
    m.countCalls.mockResolvedValue(0);
    renderView(0);
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
    expect(screen.getByTestId("webhook-url")).toHaveValue("http://127.0.0.1:8787/hooks/abc123");
    expect(screen.getByRole("button", { name: /Send a test call/ })).toBeEnabled();
    expect(screen.getByText(/Post-Call Actions/)).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("lists calls with the count once both arrive", async () => {
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 }), callSummary({ id: 2 })], next_cursor: null });
    renderView(2);
    expect(await screen.findAllByTestId("call-row")).toHaveLength(2);
    expect(await screen.findByText("1,234 calls")).toBeInTheDocument();
    expect(m.listCalls).toHaveBeenCalledWith(expect.objectContaining({ sort: "time", order: "desc", cursor: null }));
  });

  it("restores the saved filters before the first query", async () => {
    m.loadViewState.mockResolvedValue({ sort: "duration", order: "asc", filters: { statuses: ["busy"] } });
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 })], next_cursor: null });
    renderView(1);
    await screen.findAllByTestId("call-row");
    expect(m.listCalls).toHaveBeenCalledTimes(1);
    expect(m.listCalls).toHaveBeenCalledWith(
      expect.objectContaining({ sort: "duration", order: "asc", statuses: ["busy"] }),
    );
  });

  it("merges live updates once per burst and keeps the selection", async () => {
    m.listCalls.mockResolvedValueOnce({
      items: [callSummary({ id: 2, created_at_ms: 2000 }), callSummary({ id: 1, created_at_ms: 1000 })],
      next_cursor: null,
    });
    renderView(2);
    await screen.findAllByTestId("call-row");
    // Everything the view loads has arrived (the count comes separately), so no late render
    // interferes with the keyboard selection below.
    await screen.findByText("1,234 calls");
    fireEvent.keyDown(window, { key: "j" });
    await waitFor(() => expect(screen.getAllByTestId("call-row")[0]).toHaveAttribute("aria-selected", "true"));
    fireEvent.keyDown(window, { key: "j" });
    await waitFor(() => expect(screen.getAllByTestId("call-row")[1]).toHaveAttribute("aria-selected", "true"));

    const page: CallPage = {
      items: [
        callSummary({ id: 3, created_at_ms: 3000 }),
        callSummary({ id: 2, created_at_ms: 2000 }),
        callSummary({ id: 1, created_at_ms: 1000 }),
      ],
      next_cursor: null,
    };
    m.listCalls.mockResolvedValue(page);
    vi.useFakeTimers();
    try {
      act(() => {
        for (let i = 0; i < 5; i++) emitCallsChanged?.({ ids: [3], total: 3 });
      });
      await act(async () => {
        await vi.advanceTimersByTimeAsync(300);
      });
    } finally {
      vi.useRealTimers();
    }
    await waitFor(() => expect(screen.getAllByTestId("call-row")).toHaveLength(3));
    // Five events, one refresh.
    expect(m.listCalls).toHaveBeenCalledTimes(2);
    const rows = screen.getAllByTestId("call-row");
    expect(rows.map((r) => r.getAttribute("data-call-id"))).toEqual(["3", "2", "1"]);
    expect(rows[0]).toHaveClass("row-fresh");
    expect(rows[2]).toHaveAttribute("aria-selected", "true");
  });

  it("shows search hits while the box has text, and the log again when cleared", async () => {
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 })], next_cursor: null });
    m.searchCalls.mockResolvedValue([
      {
        call_id: 1,
        turn_index: 0,
        sender: "bot",
        field: "transcript",
        snippet_parts: [{ text: "refund", hit: true }],
        created_at_ms: 0,
        customer_phone: null,
        status: "completed",
      },
    ]);
    renderView(1);
    await screen.findAllByTestId("call-row");
    fireEvent.change(screen.getByTestId("search-input"), { target: { value: "refund" } });
    expect(await screen.findByTestId("search-result")).toHaveAttribute("data-call-id", "1");
    expect(m.searchCalls).toHaveBeenCalledWith("refund", expect.any(Number));
    // The log stays mounted under the hits, hidden, and shows again when the box is cleared.
    const log = screen.getByTestId("call-row").closest(".calls-log");
    expect(log).toHaveClass("calls-log-under");
    expect(log).toHaveAttribute("aria-hidden", "true");
    fireEvent.keyDown(screen.getByTestId("search-input"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("search-result")).toBeNull());
    expect(log).not.toHaveClass("calls-log-under");
    expect(log).not.toHaveAttribute("aria-hidden");
  });

  it("says which text its hits are for, and whether newer ones are on the way", async () => {
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 })], next_cursor: null });
    const hit = (text: string): PaintedHit => ({
      call_id: 1,
      turn_index: 0,
      sender: "bot",
      field: "transcript",
      snippet_parts: [{ text, hit: true }],
      created_at_ms: 0,
      customer_phone: null,
      status: "completed",
    });
    let answer: (hits: PaintedHit[]) => void = () => {};
    m.searchCalls.mockImplementation((q) =>
      q === "cancel" ? new Promise((r) => (answer = r)) : Promise.resolve([hit(q)]),
    );
    renderView(1);
    await screen.findAllByTestId("call-row");
    fireEvent.change(screen.getByTestId("search-input"), { target: { value: "canc" } });
    await screen.findByTestId("search-result");
    const list = () => document.querySelector(".calls-hits");
    await waitFor(() => expect(list()).toHaveAttribute("aria-busy", "false"));
    expect(list()).toHaveAttribute("data-query", "canc");
    // The prefix's hits stay while the full word is asked for, marked as about to change.
    fireEvent.change(screen.getByTestId("search-input"), { target: { value: "cancel" } });
    await waitFor(() => expect(list()).toHaveAttribute("aria-busy", "true"));
    expect(list()).toHaveAttribute("data-query", "canc");
    act(() => answer([hit("cancel")]));
    await waitFor(() => expect(list()).toHaveAttribute("data-query", "cancel"));
    expect(list()).toHaveAttribute("aria-busy", "false");
    expect(screen.getByTestId("search-result")).toHaveTextContent("cancel");
  });

  it("asks for the typed text from the keystroke itself, before rendering it, and only once", async () => {
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 })], next_cursor: null });
    const w = window as { __postcallTrace?: [string, number][] };
    m.searchCalls.mockImplementation(() => {
      w.__postcallTrace?.push(["asked", 0]);
      return Promise.resolve([]);
    });
    renderView(1);
    await screen.findAllByTestId("call-row");
    w.__postcallTrace = [];
    try {
      fireEvent.change(screen.getByTestId("search-input"), { target: { value: "refu" } });
      fireEvent.change(screen.getByTestId("search-input"), { target: { value: "refund" } });
      await waitFor(() => expect(m.searchCalls).toHaveBeenCalledTimes(2));
      const marks = (w.__postcallTrace ?? []).map(([name]) => name);
      // The request left before the view rendered the keystroke.
      expect(marks.indexOf("asked")).toBeGreaterThanOrEqual(0);
      expect(marks.indexOf("asked")).toBeLessThan(marks.indexOf("calls-render"));
    } finally {
      delete w.__postcallTrace;
    }
    // "refu" was in flight when "refund" was typed: "refund" went out when it returned, once.
    expect(m.searchCalls.mock.calls.map(([q]) => q)).toEqual(["refu", "refund"]);
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(m.searchCalls).toHaveBeenCalledTimes(2);
  });

  it("does not re-render the hidden log when a call opens over it, and selects that call on the way back", async () => {
    m.listCalls.mockResolvedValue({ items: [callSummary({ id: 1 }), callSummary({ id: 2 })], next_cursor: null });
    m.searchCalls.mockResolvedValue([
      {
        call_id: 2,
        turn_index: 0,
        sender: "bot",
        field: "transcript",
        snippet_parts: [{ text: "refund", hit: true }],
        created_at_ms: 0,
        customer_phone: null,
        status: "completed",
      },
    ]);
    const props = {
      callsTotal: 2,
      listener: runningListener,
      searchInput: createRef<HTMLInputElement>(),
      onOpen: vi.fn(),
      onListenerChanged: vi.fn(),
    };
    const { rerender } = render(<CallsView active covered={false} openId={null} {...props} />);
    await screen.findAllByTestId("call-row");
    await screen.findByText("1,234 calls");
    fireEvent.change(screen.getByTestId("search-input"), { target: { value: "refund" } });
    await screen.findByTestId("search-result");
    await waitFor(() => expect(m.searchCalls).toHaveBeenCalled());

    // Every render of the log's table and of the hit list leaves a mark (search/trace.ts).
    const w = window as { __postcallTrace?: [string, number][] };
    w.__postcallTrace = [];
    try {
      // The hit's call opens over the log (App passes these when a call is open).
      rerender(<CallsView active={false} covered openId={2} {...props} />);
      const calls = screen.getAllByTestId("call-row")[0]?.closest(".calls");
      expect(calls).toHaveClass("covered");
      const renders = (w.__postcallTrace ?? []).map(([name]) => name);
      expect(renders.filter((n) => n === "table-render" || n === "hits-render")).toEqual([]);
      expect(screen.getAllByTestId("call-row")[1]).toHaveAttribute("aria-selected", "false");
    } finally {
      delete w.__postcallTrace;
    }
    // Back: the call that was open is the one selected.
    rerender(<CallsView active covered={false} openId={null} {...props} />);
    expect(screen.getAllByTestId("call-row")[1]).toHaveAttribute("aria-selected", "true");
  });
});
