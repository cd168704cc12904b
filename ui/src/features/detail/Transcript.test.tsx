import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
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
