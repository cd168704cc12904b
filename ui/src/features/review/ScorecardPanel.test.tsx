import { act, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { CallReview, CallsChanged, Scorecard } from "../../api/types";
import { ReviewProvider } from "./ReviewContext";
import { ScorecardPanel } from "./ScorecardPanel";
import { scoreTotal } from "./score";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    getReviewer: vi.fn(),
    listTags: vi.fn(),
    listScorecards: vi.fn(),
    prefillScore: vi.fn(),
    setScore: vi.fn(),
    onReviewChanged: vi.fn(),
    onCallsChanged: vi.fn(),
  };
});

const m = vi.mocked(client);
let callsChanged: (p: CallsChanged) => void = () => undefined;

// Whole panels render against mocked commands: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

const card: Scorecard = {
  id: "quality",
  name: "Call quality",
  questions: [
    { id: "objective", label: "Objective achieved", kind: "yes_no", choices: [], weight: 2, variable: "status" },
    { id: "greeting", label: "Greeting", kind: "scale", choices: [], weight: 1, variable: null },
    { id: "outcome", label: "Outcome", kind: "choice", choices: ["booked", "callback", "lost"], weight: 1, variable: null },
  ],
};
const empty: CallReview = { states: [], notes: [], tags: [], scores: [], assignee: null };

beforeEach(() => {
  vi.clearAllMocks();
  m.getReviewer.mockResolvedValue({ name: "Sam Lee", email: "sam@example.com" });
  m.listTags.mockResolvedValue([]);
  m.listScorecards.mockResolvedValue([card]);
  m.onReviewChanged.mockResolvedValue(() => undefined);
  m.onCallsChanged.mockImplementation((cb) => {
    callsChanged = cb;
    return Promise.resolve(() => undefined);
  });
  m.setScore.mockImplementation((_id, sc, answers) =>
    Promise.resolve({ reviewer: "sam@example.com", reviewer_name: "Sam Lee", scorecard: sc, total: scoreTotal(card, answers), answers, at: "2025-03-04T10:05:00Z" }),
  );
});

function renderPanel(review: CallReview = empty) {
  return render(
    <ReviewProvider>
      <ScorecardPanel callId={7} review={review} onSaved={vi.fn()} />
    </ReviewProvider>,
  );
}

function question(id: string): HTMLElement {
  const q = document.querySelector<HTMLElement>(`[data-testid="score-question"][data-question="${id}"]`);
  if (!q) throw new Error(`no question ${id}`);
  return q;
}

describe("ScorecardPanel", () => {
  it("marks pre-filled answers until a person confirms them", async () => {
    m.prefillScore.mockResolvedValue({ objective: { value: true, prefilled: true } });
    renderPanel();
    await waitFor(() => expect(within(question("objective")).getByTestId("prefilled")).toHaveTextContent("pre-filled"));
    expect(within(question("objective")).getByRole("button", { name: "Yes" })).toHaveAttribute("aria-pressed", "true");
    expect(within(question("greeting")).queryByTestId("prefilled")).toBeNull();
    expect(m.prefillScore).toHaveBeenCalledWith(7, "quality");
    // Nothing is stored until a person acts.
    expect(m.setScore).not.toHaveBeenCalled();
    expect(screen.getByTestId("score-total")).toHaveTextContent("100%");

    fireEvent.click(within(question("objective")).getByTestId("prefilled-confirm"));
    await waitFor(() =>
      expect(m.setScore).toHaveBeenCalledWith(7, "quality", { objective: { value: true, prefilled: false } }),
    );
    await waitFor(() => expect(within(question("objective")).queryByTestId("prefilled")).toBeNull());
  });

  it("saves each answer and shows the weighted total; changing a pre-filled answer confirms it", async () => {
    m.prefillScore.mockResolvedValue({ objective: { value: true, prefilled: true } });
    renderPanel();
    await screen.findByTestId("prefilled");
    fireEvent.click(within(question("objective")).getByRole("button", { name: "No" }));
    await waitFor(() => expect(m.setScore).toHaveBeenLastCalledWith(7, "quality", { objective: { value: false, prefilled: false } }));
    expect(screen.queryByTestId("prefilled")).toBeNull();
    fireEvent.click(within(question("greeting")).getByRole("button", { name: "5" }));
    fireEvent.change(within(question("outcome")).getByRole("combobox"), { target: { value: "booked" } });
    // (0×2 + 1×1 + 1×1) / 4 = 50%
    await waitFor(() => expect(screen.getByTestId("score-total")).toHaveTextContent("50%"));
    expect(m.setScore).toHaveBeenLastCalledWith(7, "quality", {
      objective: { value: false, prefilled: false },
      greeting: { value: 5, prefilled: false },
      outcome: { value: "booked", prefilled: false },
    });
  });

  it("starts from my saved answers and lists teammates' totals", async () => {
    renderPanel({
      ...empty,
      scores: [
        { reviewer: "sam@example.com", reviewer_name: "Sam Lee", scorecard: "quality", total: 75, answers: { greeting: { value: 4, prefilled: false } }, at: "2025-03-04T10:05:00Z" },
        { reviewer: "dana@example.com", reviewer_name: "Dana", scorecard: "quality", total: 40, answers: {}, at: "2025-03-04T10:06:00Z" },
      ],
    });
    await waitFor(() => expect(within(question("greeting")).getByRole("button", { name: "4" })).toHaveAttribute("aria-pressed", "true"));
    expect(m.prefillScore).not.toHaveBeenCalled();
    expect(screen.getByTestId("score-total")).toHaveTextContent("75%");
    expect(screen.getByTestId("scorecard")).toHaveTextContent("Dana 40%");
  });

  it("re-reads the suggestion when the call's variables change", async () => {
    m.prefillScore.mockResolvedValue({ objective: { value: true, prefilled: true } });
    renderPanel();
    await waitFor(() => expect(within(question("objective")).getByRole("button", { name: "Yes" })).toHaveAttribute("aria-pressed", "true"));
    m.prefillScore.mockResolvedValue({ objective: { value: false, prefilled: true } });
    // Another call changed: nothing to re-read.
    act(() => callsChanged({ ids: [8], total: 2 }));
    act(() => callsChanged({ ids: [7], total: 2 }));
    await waitFor(() => expect(within(question("objective")).getByRole("button", { name: "No" })).toHaveAttribute("aria-pressed", "true"));
    expect(m.prefillScore).toHaveBeenCalledTimes(2);
    expect(m.setScore).not.toHaveBeenCalled();
  });
});
