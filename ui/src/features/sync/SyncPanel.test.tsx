import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { SyncProgress } from "../../api/types";
import { SyncPanel } from "./SyncPanel";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    syncNow: vi.fn(),
    cancelSync: vi.fn(),
    getSyncStatus: vi.fn(),
    getSyncSettings: vi.fn(),
    saveSyncSettings: vi.fn(),
    setApiKey: vi.fn(),
    onSyncProgress: vi.fn(),
  };
});

const m = vi.mocked(client);
const settings = { api_base: "https://portal.intellixent.ai/api", interval_minutes: 15, has_api_key: true, api_key_storage: null };
/** Every subscriber hears each event (the panel shows progress; the query layer re-reads the status). */
let listeners: ((p: SyncProgress) => void)[] = [];
const emit = (p: SyncProgress) => listeners.forEach((cb) => cb(p));

beforeEach(() => {
  vi.clearAllMocks();
  m.getSyncSettings.mockResolvedValue(settings);
  m.getSyncStatus.mockResolvedValue({ running: false, last: null });
  m.cancelSync.mockResolvedValue(true);
  listeners = [];
  m.onSyncProgress.mockImplementation((cb) => {
    listeners.push(cb);
    return Promise.resolve(() => {
      listeners = listeners.filter((l) => l !== cb);
    });
  });
});

describe("SyncPanel", () => {
  it("shows the stored settings without the key", async () => {
    render(<SyncPanel />);
    expect(await screen.findByDisplayValue("https://portal.intellixent.ai/api")).toBeInTheDocument();
    expect(screen.getByLabelText("Sync interval in minutes")).toHaveValue(15);
    expect(screen.getByText(/A key is saved/)).toBeInTheDocument();
    expect(screen.getByLabelText("Intellixent API key")).toHaveValue("");
  });

  it("syncs on demand, shows progress and then the result", async () => {
    let finish: (r: Awaited<ReturnType<typeof client.syncNow>>) => void = () => undefined;
    m.syncNow.mockReturnValue(new Promise((resolve) => (finish = resolve)));
    render(<SyncPanel />);
    await screen.findByDisplayValue("https://portal.intellixent.ai/api");
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    expect(screen.getByRole("button", { name: "Sync now" })).toBeDisabled();
    act(() => emit({ state: "running", pages: 1, last_page: 3, added: 4, updated: 1, unchanged: 0, failed: 0 }));
    expect(await screen.findByText(/page 1 of 3 · 4 added · 1 updated/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(m.cancelSync).toHaveBeenCalled();
    act(() =>
      finish({
        state: "completed",
        date_from: "2025-01-01",
        date_to: "2025-08-06",
        pages: 3,
        calls: 8,
        added: 7,
        updated: 1,
        unchanged: 0,
        failed: 0,
      }),
    );
    expect(await screen.findByTestId("sync-result")).toHaveTextContent("3 pages, 7 added, 1 updated");
  });

  it('says "API key rejected" on a 401', async () => {
    m.syncNow.mockRejectedValue(
      new client.CommandError("api_key_rejected", "API key rejected (HTTP 401): check the Intellixent API key in Settings"),
    );
    render(<SyncPanel />);
    await screen.findByDisplayValue("https://portal.intellixent.ai/api");
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    expect(await screen.findByTestId("sync-error")).toHaveTextContent(/^API key rejected/);
  });

  it("saves the key, the base URL and the interval", async () => {
    m.setApiKey.mockResolvedValue(settings);
    m.saveSyncSettings.mockResolvedValue({ ...settings, api_base: "http://127.0.0.1:9/api", interval_minutes: 5 });
    render(<SyncPanel />);
    await screen.findByDisplayValue("https://portal.intellixent.ai/api");
    fireEvent.change(screen.getByLabelText("Intellixent API key"), { target: { value: " sk-1 " } });
    fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    await waitFor(() => expect(m.setApiKey).toHaveBeenCalledWith("sk-1"));
    expect(await screen.findByText("API key saved.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("API base URL"), { target: { value: "http://127.0.0.1:9/api" } });
    fireEvent.change(screen.getByLabelText("Sync interval in minutes"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(m.saveSyncSettings).toHaveBeenCalledWith({ api_base: "http://127.0.0.1:9/api", interval_minutes: 5 }),
    );
  });

  it("shows a sync started elsewhere (the timer) running, then its result, from the re-read status", async () => {
    render(<SyncPanel />);
    await screen.findByDisplayValue("https://portal.intellixent.ai/api");
    expect(screen.queryByTestId("sync-result")).toBeNull();
    m.getSyncStatus.mockResolvedValue({ running: true, last: null });
    act(() => emit({ state: "running", pages: 1, last_page: 2, added: 1, updated: 0, unchanged: 0, failed: 0 }));
    expect(await screen.findByText(/page 1 of 2/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sync now" })).toBeDisabled();
    m.getSyncStatus.mockResolvedValue({
      running: false,
      last: {
        ok: true,
        finished_ms: Date.UTC(2025, 7, 6, 10),
        report: { state: "completed", date_from: "2025-08-01", date_to: "2025-08-06", pages: 2, calls: 3, added: 2, updated: 1, unchanged: 0, failed: 0 },
        code: null,
        message: null,
      },
    });
    act(() => emit({ state: "completed", pages: 2, last_page: 2, added: 2, updated: 1, unchanged: 0, failed: 0 }));
    expect(await screen.findByTestId("sync-result")).toHaveTextContent("2 pages, 2 added, 1 updated");
    expect(m.getSyncStatus).toHaveBeenCalledTimes(3);
  });
});
