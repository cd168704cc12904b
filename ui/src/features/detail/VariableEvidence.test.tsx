import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Turn } from "../../api/types";
import { VariableEvidence } from "./VariableEvidence";

const turns: Turn[] = [
  { index: 0, sender: "bot", text: "When shall we call back?", timestamp: null, offset_seconds: 0 },
  { index: 1, sender: "human", text: "Thursday, please.", timestamp: null, offset_seconds: 83.4 },
  { index: 2, sender: "bot", text: "Noted.", timestamp: null, offset_seconds: null },
];

describe("VariableEvidence", () => {
  it("says where each value was said and seeks there", () => {
    const onPick = vi.fn();
    render(
      <VariableEvidence
        evidence={{
          callback_day: [{ turn: 1, quote: "Thursday, please.", score: 1 }],
          lead_quality: [],
          note: [{ turn: 2, quote: "Noted.", score: 0.8 }],
        }}
        turns={turns}
        offset={0}
        onPick={onPick}
      />,
    );
    const link = screen.getByText("said at 1:23");
    expect(link).toHaveAttribute("title", "“Thursday, please.” (match 100%)");
    fireEvent.click(link);
    expect(onPick).toHaveBeenCalledWith(1, 83.4);
    // Without a turn time the turn is named instead, and picking it only selects it.
    fireEvent.click(screen.getByText("said in turn 3"));
    expect(onPick).toHaveBeenLastCalledWith(2, null);
    expect(screen.getByTestId("evidence-missing")).toHaveTextContent("not found in the transcript");
  });

  it("renders nothing without quotable variables", () => {
    const { container } = render(<VariableEvidence evidence={{}} turns={turns} offset={0} onPick={() => undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
