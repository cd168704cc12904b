import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { PaintedHit } from "../../api/types";
import { FIRST_HITS, SearchResults } from "./SearchResults";

const hit: PaintedHit = {
  call_id: 42,
  turn_index: 3,
  sender: "human",
  field: "transcript",
  snippet_parts: [
    { text: "…about the ", hit: false },
    { text: "refund", hit: true },
    { text: " for <img src=x onerror=alert(1)>", hit: false },
  ],
  created_at_ms: Date.now() - 5 * 60_000,
  customer_phone: "+14155550123",
  status: "completed",
};

describe("SearchResults", () => {
  it("renders the snippet parts with the hits in <mark>, as text", () => {
    const { container } = render(<SearchResults hits={[hit]} selectedIndex={0} now={Date.now()} onOpen={vi.fn()} />);
    const row = screen.getByTestId("search-result");
    expect(row).toHaveAttribute("data-call-id", "42");
    const marks = row.querySelectorAll("mark");
    expect(marks).toHaveLength(1);
    expect(marks[0]).toHaveTextContent("refund");
    expect(row).toHaveTextContent("for <img src=x onerror=alert(1)>");
    expect(container.querySelector("img")).toBeNull();
    expect(row).toHaveTextContent("+14155550123");
    expect(row).toHaveTextContent("completed");
    expect(row).toHaveTextContent("5 min ago");
    expect(row).toHaveTextContent("Customer");
  });

  it("opens the clicked hit", () => {
    const onOpen = vi.fn();
    render(<SearchResults hits={[hit, { ...hit, call_id: 43 }]} selectedIndex={0} now={Date.now()} onOpen={onOpen} />);
    const second = screen.getAllByTestId("search-result")[1];
    if (!second) throw new Error("missing hit");
    fireEvent.click(second);
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ call_id: 43, turn_index: 3 }));
  });

  it("draws the first screen of hits at once and the rest after that frame", async () => {
    const hits = Array.from({ length: FIRST_HITS + 60 }, (_, i) => ({ ...hit, call_id: i + 1 }));
    render(<SearchResults hits={hits} selectedIndex={0} now={Date.now()} onOpen={vi.fn()} />);
    expect(screen.getAllByTestId("search-result")).toHaveLength(FIRST_HITS);
    await waitFor(() => expect(screen.getAllByTestId("search-result")).toHaveLength(hits.length));
  });

  it("draws every hit at once when the selection is beyond the first screen", () => {
    const hits = Array.from({ length: FIRST_HITS + 10 }, (_, i) => ({ ...hit, call_id: i + 1 }));
    render(<SearchResults hits={hits} selectedIndex={FIRST_HITS + 2} now={Date.now()} onOpen={vi.fn()} />);
    expect(screen.getAllByTestId("search-result")).toHaveLength(hits.length);
  });
});
