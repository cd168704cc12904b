import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Turn } from "../../api/types";
import { Transcript, transcriptText } from "./Transcript";

const turns: Turn[] = [
  { index: 0, sender: "bot", text: "Hello, can I help with your refund?", timestamp: null, offset_seconds: 0 },
  { index: 1, sender: "human", text: "Yes, the REFUND for March.", timestamp: null, offset_seconds: 75 },
  { index: 2, sender: "human", text: "Thanks", timestamp: null, offset_seconds: null },
];

describe("Transcript", () => {
  it("renders each turn with its sender, label and m:ss offset", () => {
    render(<Transcript turns={turns} terms={[]} focusIndex={null} />);
    const items = screen.getAllByTestId("transcript-turn");
    expect(items.map((t) => t.getAttribute("data-sender"))).toEqual(["bot", "human", "human"]);
    expect(items.map((t) => t.getAttribute("data-turn-index"))).toEqual(["0", "1", "2"]);
    expect(items[0]).toHaveTextContent("Assistant");
    expect(items[0]).toHaveTextContent("0:00");
    expect(items[1]).toHaveTextContent("Customer");
    expect(items[1]).toHaveTextContent("1:15");
    expect(items[0]).toHaveClass("turn-bot");
    expect(items[1]).toHaveClass("turn-human");
    // No offset, no time shown.
    expect(items[2]?.querySelector(".turn-time")).toBeNull();
  });

  it("highlights the search terms inside turns", () => {
    const { container } = render(<Transcript turns={turns} terms={["refund"]} focusIndex={null} />);
    const marks = [...container.querySelectorAll("mark")].map((m) => m.textContent);
    expect(marks).toEqual(["refund", "REFUND"]);
  });

  it("highlights the turn a search hit pointed at", () => {
    render(<Transcript turns={turns} terms={[]} focusIndex={1} />);
    const items = screen.getAllByTestId("transcript-turn");
    expect(items[1]).toHaveClass("turn-focus");
    expect(items[0]).not.toHaveClass("turn-focus");
  });

  it("copies as Assistant/Customer lines", () => {
    expect(transcriptText(turns)).toBe(
      "Assistant: Hello, can I help with your refund?\nCustomer: Yes, the REFUND for March.\nCustomer: Thanks",
    );
  });
});

/** A one-hour call: 2,400 turns, one every 1.5 s, alternating speakers. */
function longCall(n = 2400): Turn[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    sender: i % 2 === 0 ? "bot" : "human",
    text: i === 1800 ? "the refund reference is ZX-4471" : `turn number ${i}`,
    timestamp: null,
    offset_seconds: i * 1.5,
  }));
}

describe("Transcript, long", () => {
  it("renders only a window of a 2,400-turn call, with the rest as padding", () => {
    const { container } = render(<Transcript turns={longCall()} terms={[]} focusIndex={null} />);
    const items = screen.getAllByTestId("transcript-turn");
    expect(items.length).toBeGreaterThan(5);
    expect(items.length).toBeLessThan(100);
    expect(items[0]).toHaveAttribute("data-turn-index", "0");
    expect(container.querySelectorAll("li").length).toBeLessThan(100);
    const list = screen.getByTestId("transcript");
    expect(list).toHaveAttribute("data-turns", "2400");
    // The turns not in the DOM still take their (estimated) room.
    expect(parseFloat(list.style.paddingBottom)).toBeGreaterThan(2000 * 40);
  });

  it("brings a search hit's turn far down the call into the DOM, highlighted with its terms", async () => {
    const { container } = render(<Transcript turns={longCall()} terms={["refund"]} focusIndex={1800} />);
    const hit = await waitFor(() => {
      const el = container.querySelector('[data-turn-index="1800"]');
      if (!el) throw new Error("turn 1800 not rendered");
      return el;
    });
    expect(hit).toHaveClass("turn-focus");
    expect(hit.querySelector("mark")).toHaveTextContent("refund");
    expect(screen.getAllByTestId("transcript-turn").length).toBeLessThan(100);
    expect(container.querySelector('[data-turn-index="0"]')).toBeNull();
  });

  it("opens at a hit's turn far down the call in its first render: the top is never drawn", () => {
    // Every turn ever put in the DOM, and every render of the transcript (search/trace.ts).
    const drawn = new Set<number>();
    const collect = (records: MutationRecord[]) => {
      for (const r of records)
        for (const n of r.addedNodes)
          if (n instanceof Element)
            for (const li of [n, ...n.querySelectorAll("[data-turn-index]")])
              if (li.hasAttribute("data-turn-index")) drawn.add(Number(li.getAttribute("data-turn-index")));
    };
    const seen = new MutationObserver(collect);
    seen.observe(document.body, { childList: true, subtree: true });
    const w = window as { __postcallTrace?: [string, number][] };
    w.__postcallTrace = [];
    try {
      const { container } = render(<Transcript turns={longCall()} terms={["refund"]} focusIndex={1800} />);
      expect(container.querySelector('[data-turn-index="1800"]')).toHaveClass("turn-focus");
      const renders = (w.__postcallTrace ?? []).filter(([name]) => name === "transcript-render");
      expect(renders).toHaveLength(1);
    } finally {
      delete w.__postcallTrace;
      collect(seen.takeRecords());
      seen.disconnect();
    }
    expect(drawn.size).toBeGreaterThan(5);
    expect(Math.min(...drawn)).toBeGreaterThan(1700);
    expect(drawn.size).toBeLessThan(100);
  });

  it("follows the playing turn into view and seeks on a click", async () => {
    const onSeek = vi.fn();
    const sync = { current: 2000, offset: 0, playing: true, onSeek };
    const { container } = render(<Transcript turns={longCall()} terms={[]} focusIndex={null} sync={sync} />);
    const current = await waitFor(() => {
      const el = container.querySelector(".turn-current");
      if (!el) throw new Error("current turn not rendered");
      return el;
    });
    expect(current).toHaveAttribute("data-turn-index", "2000");
    expect(current).toHaveAttribute("aria-current", "true");
    fireEvent.click(current);
    expect(onSeek).toHaveBeenCalledWith(3000);
  });

  it("keeps notes right after their turn", async () => {
    const { container } = render(
      <Transcript
        turns={longCall()}
        terms={[]}
        focusIndex={1500}
        annotations={(i) => (i === 1500 ? <li data-testid="note">pinned</li> : null)}
      />,
    );
    const note = await screen.findByTestId("note");
    expect(note.previousElementSibling).toBe(container.querySelector('[data-turn-index="1500"]'));
  });
});
