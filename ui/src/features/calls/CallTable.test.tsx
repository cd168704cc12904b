import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { callSummary } from "../../test/fixtures";
import { CallTable } from "./CallTable";

function renderTable(over: Partial<Parameters<typeof CallTable>[0]> = {}) {
  const props = {
    rows: [
      callSummary({ id: 11, status: "completed", duration: 125, objective_achieved: true }),
      callSummary({ id: 12, status: "busy", duration: 0, objective_achieved: false, has_recording: false }),
      callSummary({ id: 13, status: "failed", duration: null, objective_achieved: null, summary: null }),
      callSummary({ id: 14, status: "voicemail", recovered: true }),
    ],
    selectedId: 12,
    fresh: new Set([14]),
    sort: "time" as const,
    order: "desc" as const,
    now: Date.UTC(2025, 2, 4, 10, 3),
    hasMore: false,
    loading: false,
    onSort: vi.fn(),
    onOpen: vi.fn(),
    onEndReached: vi.fn(),
    ...over,
  };
  render(<CallTable {...props} />);
  return props;
}

describe("CallTable", () => {
  it("renders a row per call with its test ids and columns", () => {
    renderTable();
    const rows = screen.getAllByTestId("call-row");
    expect(rows.map((r) => r.getAttribute("data-call-id"))).toEqual(["11", "12", "13", "14"]);
    const [first, second, third, fourth] = rows;
    if (!first || !second || !third || !fourth) throw new Error("rows missing");
    expect(first).toHaveTextContent("3 min ago");
    expect(within(first).getByText("3 min ago")).toHaveAttribute("title", expect.stringMatching(/2025/));
    expect(first).toHaveTextContent("+14155550123");
    expect(first).toHaveTextContent("2:05");
    expect(within(first).getByText("completed")).toHaveClass("badge-green");
    expect(within(second).getByText("busy")).toHaveClass("badge-amber");
    expect(within(third).getByText("failed")).toHaveClass("badge-red");
    expect(within(fourth).getByText("voicemail")).toHaveClass("badge-grey");
    expect(within(first).getByText("✓")).toBeInTheDocument();
    expect(within(second).getByText("✗")).toBeInTheDocument();
    expect(third).toHaveTextContent("–");
    expect(within(first).getByLabelText("Recording available")).toBeInTheDocument();
    expect(within(second).queryByLabelText("Recording available")).toBeNull();
    expect(within(first).getByText("Booked a cleaning for Thursday.")).toHaveAttribute(
      "title",
      "Booked a cleaning for Thursday.",
    );
    expect(fourth).toHaveTextContent("recovered");
  });

  it("marks the selected and the new rows", () => {
    renderTable();
    const rows = screen.getAllByTestId("call-row");
    expect(rows[1]).toHaveAttribute("aria-selected", "true");
    expect(rows[0]).toHaveAttribute("aria-selected", "false");
    expect(rows[3]).toHaveClass("row-fresh");
  });

  it("opens a clicked row and sorts by a clicked header", () => {
    const props = renderTable();
    const row = screen.getAllByTestId("call-row")[2];
    if (!row) throw new Error("row missing");
    fireEvent.click(row);
    expect(props.onOpen).toHaveBeenCalledWith(13);
    fireEvent.click(screen.getByRole("button", { name: /Duration/ }));
    expect(props.onSort).toHaveBeenCalledWith("duration");
    expect(screen.getByRole("columnheader", { name: /Time/ })).toHaveAttribute("aria-sort", "descending");
  });

  it("only puts the visible window of a long list in the DOM and asks for more near the end", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => callSummary({ id: i + 1 }));
    const props = renderTable({ rows, hasMore: true, selectedId: null });
    expect(screen.getAllByTestId("call-row").length).toBeLessThan(100);
    expect(props.onEndReached).not.toHaveBeenCalled();
    const few = Array.from({ length: 20 }, (_, i) => callSummary({ id: i + 1 }));
    const more = vi.fn();
    render(
      <CallTable {...props} rows={few} onEndReached={more} />,
    );
    expect(more).toHaveBeenCalled();
  });
});
