// The dashboard's figures follow the back end's events: new calls and review work re-read them
// (api/queries.ts), so a dashboard left open stays current without a reload.

import { act, configure, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { CallsChanged, ReviewChanged, Stats } from "../../api/types";
import { Dashboard } from "./Dashboard";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, getStats: vi.fn(), loadViewState: vi.fn(), onCallsChanged: vi.fn(), onReviewChanged: vi.fn() };
});
vi.mock("./UPlotChart", () => ({ barPaths: () => null, UPlotChart: () => null }));

configure({ asyncUtilTimeout: 5000 });

const m = vi.mocked(client);
let callsChanged: (p: CallsChanged) => void = () => undefined;
let reviewChanged: (p: ReviewChanged) => void = () => undefined;

function stats(calls: number): Stats {
  return {
    calls,
    by_day: [{ day: "2025-03-01", calls, achieved: 0, by_status: { completed: calls } }],
    objective_rate: { rate: null, low: null, high: null, achieved: 0, judged: 0 },
    duration: { median: 60, p90: 60, histogram: [], unknown: 0 },
    by_campaign: [],
    by_assistant: [],
    by_hour: [],
    review: [],
    variables: [],
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  m.loadViewState.mockResolvedValue(null);
  m.getStats.mockResolvedValue(stats(4));
  m.onCallsChanged.mockImplementation((cb) => {
    callsChanged = cb;
    return Promise.resolve(() => undefined);
  });
  m.onReviewChanged.mockImplementation((cb) => {
    reviewChanged = cb;
    return Promise.resolve(() => undefined);
  });
});

describe("Dashboard, live", () => {
  it("re-reads the figures when calls arrive", async () => {
    render(<Dashboard active onOpenDay={() => undefined} />);
    await waitFor(() => expect(screen.getByTestId("stat-calls")).toHaveTextContent("4"));
    m.getStats.mockResolvedValue(stats(5));
    act(() => callsChanged({ ids: [9], total: 5 }));
    await waitFor(() => expect(screen.getByTestId("stat-calls")).toHaveTextContent("5"));
    expect(m.getStats).toHaveBeenCalledTimes(2);
    // The log's filters are read once, not again for each re-read.
    expect(m.loadViewState).toHaveBeenCalledTimes(1);
  });

  it("re-reads the figures when review work changes", async () => {
    render(<Dashboard active onOpenDay={() => undefined} />);
    await waitFor(() => expect(screen.getByTestId("stat-calls")).toHaveTextContent("4"));
    m.getStats.mockResolvedValue(stats(6));
    act(() => reviewChanged({ call_ids: [9], definitions: false }));
    await waitFor(() => expect(screen.getByTestId("stat-calls")).toHaveTextContent("6"));
  });
});
