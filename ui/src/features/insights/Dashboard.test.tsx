import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { Stats } from "../../api/types";
import { Dashboard } from "./Dashboard";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, getStats: vi.fn(), loadViewState: vi.fn(), saveExport: vi.fn() };
});
// uPlot draws on a canvas, which jsdom lacks: a stand-in exposes what the chart was given.
vi.mock("./UPlotChart", () => ({
  barPaths: () => null,
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
  by_assistant: [
    { assistant: "+15550001", calls: 3, achieved: 2, rate: 2 / 3 },
    { assistant: null, calls: 1, achieved: 1, rate: 1 },
  ],
  by_hour: [
    { weekday: 5, hour: 10, calls: 3 },
    { weekday: 6, hour: 23, calls: 1 },
  ],
  review: [{ day: "2025-03-04", reviewed: 2, flagged: 1 }],
  variables: [
    { name: "lead_quality", filled: 4, fill_rate: 1, top: [{ value: "high", count: 3 }], free_text: false, numbers: null, by_day: [] },
    {
      name: "budget",
      filled: 4,
      fill_rate: 1,
      top: [],
      free_text: true,
      numbers: {
        count: 4,
        mean: 1250,
        median: 1000,
        p90: 2500,
        histogram: [
          { from: 1000, to: 1258.9, calls: 3 },
          { from: 2511.9, to: 3162.3, calls: 1 },
        ],
      },
      by_day: [{ day: "2025-03-01", filled: 4, mean: 1250 }],
    },
  ],
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
    expect(m.getStats).toHaveBeenCalledWith({
      from: "2025-03-01",
      to: null,
      campaign: "Spring",
      statuses: ["completed"],
    });
    expect(screen.getByTestId("stat-rate")).toHaveTextContent("75.0%");
    expect(screen.getByText("1:23")).toBeInTheDocument();
    expect(screen.getByText("high (3)")).toBeInTheDocument();
    const days = screen.getByTestId("chart-Calls per day, stacked by status");
    expect(days).toHaveAttribute("data-points", "2");
    fireEvent.click(days);
    expect(onOpenDay).toHaveBeenCalledWith("2025-03-02");
  });

  it("follows the log's search, tags and review state, says so, and keeps them when a day is opened", async () => {
    m.loadViewState.mockResolvedValue({
      version: 1,
      filters: { statuses: [], from: "2025-03-01", to: "2025-03-30", campaign: "", tags: ["upsell"], review: "anyone_flagged", objective: "yes" },
      sort: "time",
      order: "desc",
    });
    const onOpenDay = vi.fn();
    const { rerender } = render(<Dashboard active search="refund" onOpenDay={onOpenDay} />);
    expect(await screen.findByTestId("dashboard-follows")).toHaveTextContent(
      "Calls matching “refund” · 2025-03-01 to 2025-03-30 · tag upsell · Flagged by anyone · objective achieved",
    );
    expect(m.getStats).toHaveBeenLastCalledWith(
      expect.objectContaining({ search: "refund", tags: ["upsell"], review_state: "flagged", objective: true, from: "2025-03-01" }),
    );
    fireEvent.click(screen.getByTestId("chart-Calls per day, stacked by status"));
    expect(onOpenDay).toHaveBeenCalledWith("2025-03-02");

    // The search cleared in the log: the figures are read again without it.
    rerender(<Dashboard active search="" onOpenDay={onOpenDay} />);
    await vi.waitFor(() => expect(m.getStats).toHaveBeenCalledTimes(2));
    expect(m.getStats.mock.calls[1]?.[0]).not.toHaveProperty("search");
    expect(await screen.findByTestId("dashboard-follows")).toHaveTextContent(/^Calls with 2025-03-01 to 2025-03-30 · tag upsell/);
  });

  it("draws the hour heat map and the assistants, and opens a campaign in the log", async () => {
    const onOpenCampaign = vi.fn();
    render(<Dashboard active onOpenDay={() => undefined} onOpenCampaign={onOpenCampaign} />);
    const map = await screen.findByTestId("heatmap");
    expect(map.querySelectorAll("rect[data-cell]")).toHaveLength(7 * 24);
    expect(map.querySelector('[data-cell="5:10"]')).toHaveAttribute("data-calls", "3");
    expect(map.querySelector('[data-cell="0:0"]')).toHaveAttribute("data-calls", "0");
    expect(map.querySelector('[data-cell="5:10"] title')).toHaveTextContent("Sat 10:00–11:00 · 3 calls");
    const assistants = screen.getByTestId("by-assistant");
    expect(assistants).toHaveTextContent("+15550001");
    expect(assistants).toHaveTextContent("66.7%");
    expect(assistants).toHaveTextContent("(unknown)");
    expect(screen.getByTestId("chart-Calls reviewed and flagged per day")).toHaveAttribute("data-points", "1");
    fireEvent.click(screen.getByRole("button", { name: "Spring" }));
    expect(onOpenCampaign).toHaveBeenCalledWith("Spring");
  });

  it("shows a numeric variable's distribution and every variable's course over the range", async () => {
    render(<Dashboard active onOpenDay={() => undefined} />);
    const budget = await screen.findByTestId("variable-numbers");
    expect(budget.querySelectorAll("rect")).toHaveLength(2);
    expect(budget).toHaveTextContent("median ≈ 1,000 · p90 ≈ 2,500 · mean 1,250");
    expect(budget.closest("tr")).toHaveAttribute("data-variable", "budget");
    const quality = document.querySelector('tr[data-variable="lead_quality"]');
    expect(quality).toHaveTextContent("high (3)");
    expect(quality?.querySelector('[data-testid="variable-numbers"]')).toBeNull();
  });

  it("exports a section's table as CSV and the heat map as SVG, and says where", async () => {
    m.saveExport.mockResolvedValue("/home/me/postcall-assistants.csv");
    render(<Dashboard active onOpenDay={() => undefined} />);
    fireEvent.click(await screen.findByTestId("export-csv-assistants"));
    expect(m.saveExport).toHaveBeenCalledWith(
      "postcall-assistants-2025-03-01.csv",
      "assistant,calls,achieved,rate\r\n+15550001,3,2,0.6666666666666666\r\n,1,1,1\r\n",
      "text",
    );
    expect(await screen.findByTestId("export-status")).toHaveTextContent("Saved /home/me/postcall-assistants.csv");
    fireEvent.click(screen.getByTestId("export-image-hours"));
    const [name, svg, encoding] = m.saveExport.mock.calls[1] ?? [];
    expect(name).toBe("postcall-hours-2025-03-01.svg");
    expect(encoding).toBe("text");
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('data-calls="3"');
  });

  it("says why an export failed", async () => {
    m.saveExport.mockRejectedValue(new client.CommandError("save", "cannot write /ro/x.csv: read-only file system; choose another folder"));
    render(<Dashboard active onOpenDay={() => undefined} />);
    fireEvent.click(await screen.findByTestId("export-csv-days"));
    expect(await screen.findByTestId("export-status")).toHaveTextContent("choose another folder");
  });

  it("says why when the figures cannot be read", async () => {
    m.getStats.mockRejectedValue(new client.CommandError("storage", "database error: disk I/O"));
    render(<Dashboard active onOpenDay={() => undefined} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("disk I/O");
  });
});
