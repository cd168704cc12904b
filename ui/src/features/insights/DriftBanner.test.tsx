import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { Drift } from "../../api/types";
import { DriftBanner } from "./DriftBanner";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, listDrift: vi.fn(), onCallsChanged: vi.fn() };
});

const m = vi.mocked(client);
let changed: () => void = () => undefined;
const typeChange: Drift = {
  path: "transcript",
  change: "type",
  from: "string",
  to: "array",
  first_seen: "2026-12-01T10:00:00.000Z",
  example_call_id: 12345,
};
const added: Drift = { ...typeChange, path: "transfers", change: "added", from: null, to: "array" };

beforeEach(() => {
  vi.clearAllMocks();
  window.localStorage.clear();
  m.onCallsChanged.mockImplementation((cb) => {
    changed = () => cb({ ids: [], total: 0 });
    return Promise.resolve(() => undefined);
  });
});

describe("DriftBanner", () => {
  it("shows the latest change, opens its example call and lists every change", async () => {
    m.listDrift.mockResolvedValue([typeChange]);
    const onOpenCall = vi.fn();
    render(<DriftBanner onOpenCall={onOpenCall} />);
    expect(await screen.findByText("transcript changed type: string → array")).toBeInTheDocument();
    fireEvent.click(screen.getByText("call 12345"));
    expect(onOpenCall).toHaveBeenCalledWith(12345);

    // A newer change arrives with the next calls.
    m.listDrift.mockResolvedValue([added, typeChange]);
    await act(async () => {
      changed();
      await Promise.resolve();
    });
    expect(await screen.findByText("new field transfers (array)")).toBeInTheDocument();
    fireEvent.click(screen.getByText("Payload changes (2)"));
    expect(screen.getByTestId("drift-list").querySelectorAll("li")).toHaveLength(2);
  });

  it("stays hidden once dismissed, until a newer change", async () => {
    m.listDrift.mockResolvedValue([typeChange]);
    const { unmount } = render(<DriftBanner onOpenCall={() => undefined} />);
    fireEvent.click(await screen.findByText("Dismiss"));
    expect(screen.queryByTestId("drift-banner")).toBeNull();
    unmount();
    render(<DriftBanner onOpenCall={() => undefined} />);
    await act(async () => {
      await Promise.resolve();
    });
    expect(screen.queryByTestId("drift-banner")).toBeNull();
  });

  it("shows nothing when the back end has no changes or cannot say", async () => {
    m.listDrift.mockRejectedValue(new Error("no backend"));
    render(<DriftBanner onOpenCall={() => undefined} />);
    await act(async () => {
      await Promise.resolve();
    });
    expect(screen.queryByTestId("drift-banner")).toBeNull();
  });
});
