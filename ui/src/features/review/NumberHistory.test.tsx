import { configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import { callSummary } from "../../test/fixtures";
import { NumberHistory } from "./NumberHistory";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, numberHistory: vi.fn(), onReviewChanged: vi.fn() };
});

const m = vi.mocked(client);

// Whole panels render against mocked commands: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });
let emit: ((p: { call_ids: number[]; definitions: boolean }) => void) | null = null;

beforeEach(() => {
  vi.clearAllMocks();
  m.onReviewChanged.mockImplementation((cb) => {
    emit = cb;
    return Promise.resolve(() => undefined);
  });
});

describe("NumberHistory", () => {
  it("lists the other calls of the number, newest first as given, with review states; a click opens one", async () => {
    const review = { my_state: "reviewed" as const, any_flagged: true, reviewed_by: 2, tags: ["vip"], score: 80 };
    m.numberHistory.mockResolvedValue([
      callSummary({ id: 30, created_at_ms: Date.UTC(2025, 2, 5), review }),
      callSummary({ id: 20, created_at_ms: Date.UTC(2025, 2, 1), summary: "<b>old</b>" }),
    ]);
    const onOpen = vi.fn();
    render(<NumberHistory callId={7} phone="+14155550123" onOpen={onOpen} />);
    await waitFor(() => expect(screen.getAllByTestId("history-call")).toHaveLength(2));
    const [first, second] = screen.getAllByTestId("history-call");
    expect(first).toHaveAttribute("data-call-id", "30");
    expect(first?.querySelector('[data-testid="review-state"]')).toHaveAttribute("data-state", "reviewed");
    expect(first?.querySelector('[data-testid="tag-chip"][data-tag="vip"]')).not.toBeNull();
    expect(second?.querySelector('[data-testid="review-state"]')).toHaveAttribute("data-state", "unreviewed");
    expect(second).toHaveTextContent("<b>old</b>");
    expect(m.numberHistory).toHaveBeenCalledWith(7);
    fireEvent.click(second as HTMLElement);
    expect(onOpen).toHaveBeenCalledWith(20);

    // A review of one of them re-reads the list.
    m.numberHistory.mockResolvedValue([callSummary({ id: 30 })]);
    emit?.({ call_ids: [30], definitions: false });
    await waitFor(() => expect(screen.getAllByTestId("history-call")).toHaveLength(1));
  });

  it("says so when there is no other call", async () => {
    m.numberHistory.mockResolvedValue([]);
    render(<NumberHistory callId={7} phone="+14155550123" onOpen={vi.fn()} />);
    expect(await screen.findByText("No other calls with +14155550123.")).toBeInTheDocument();
  });
});
