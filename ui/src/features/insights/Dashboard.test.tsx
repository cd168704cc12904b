import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { Stats } from "../../api/types";
import { Dashboard } from "./Dashboard";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, getStats: vi.fn(), loadViewState: vi.fn() };
});
// uPlot draws on a canvas, which jsdom lacks: a stand-in exposes what the chart was given.
vi.mock("./UPlotChart", () => ({
  UPlotChart: ({ label, data, onPick }: { label: string; data: unknown[][]; onPick?: (i: number) => void }) => (
    <button type="button" data-testid={`chart-${label}`} data-points={data[0]?.length} onClick={() => onPick?.(1)}>
      {label}
    </button>
  ),
}));

const m = vi.mocked(client);
const stats: Stats = {
  calls: 4,
  by_day: [
    { day: "2025-03-01", calls: 3, achieved: 2, by_status: { completed: 2, busy: 1 } },
    { day: "2025-03-02", calls: 1, achieved: 1, by_status: { completed: 1 } },
  ],
  objective_rate: { rate: 0.75, low: 0.3, high: 0.95, achieved: 3, judged: 4 },
  duration: { median: 83, p90: 200, histogram: [{ from: 80, to: 85, calls: 4 }], unknown: 0 },
  by_campaign: [{ campaign: "Spring", calls: 4, achieved: 3, rate: 0.75 }],
  variables: [{ name: "lead_quality", filled: 4, fill_rate: 1, top: [{ value: "high", count: 3 }], free_text: false }],
};

beforeEach(() => {
  vi.clearAllMocks();
  m.getStats.mockResolvedValue(stats);
  m.loadViewState.mockResolvedValue({
    filters: { statuses: ["completed"], from: "2025-03-01", to: "", campaign: "Spring" },
    sort: "time",
    order: "desc",
  });
});

describe("Dashboard", () => {
  it("follows the log's filters and opens a clicked day in the log", async () => {
    const onOpenDay = vi.fn();
    render(<Dashboard active onOpenDay={onOpenDay} />);
    expect(await screen.findByTestId("stat-calls")).toHaveTextContent("4");
    expect(m.getStats).toHaveBeenCalledWith({ from: "2025-03-01", to: null, campaign: "Spring", statuses: ["completed"] });
    expect(screen.getByTestId("stat-rate")).toHaveTextContent("75.0%");
    expect(screen.getByText("1:23")).toBeInTheDocument();
    expect(screen.getByText("high (3)")).toBeInTheDocument();
    const days = screen.getByTestId("chart-Calls per day, stacked by status");
    expect(days).toHaveAttribute("data-points", "2");
    fireEvent.click(days);
    expect(onOpenDay).toHaveBeenCalledWith("2025-03-02");
  });

  it("says why when the figures cannot be read", async () => {
    m.getStats.mockRejectedValue(new client.CommandError("storage", "database error: disk I/O"));
    render(<Dashboard active onOpenDay={() => undefined} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("disk I/O");
  });
});
