import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { RecordingProgress, Settings } from "../../api/types";
import { settings as makeSettings } from "../../test/fixtures";
import { SettingsView } from "./SettingsView";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    saveSettings: vi.fn(),
    recordingsStatus: vi.fn(),
    recordingsPrune: vi.fn(),
    onRecordingsChanged: vi.fn(),
    getSyncSettings: vi.fn(),
    getSyncStatus: vi.fn(),
    onSyncProgress: vi.fn(),
  };
});

const m = vi.mocked(client);
let recordingsChanged: (p: RecordingProgress) => void = () => undefined;

function Harness({ initial }: { initial: Settings }) {
  const [s, setS] = useState<Settings>(initial);
  return <SettingsView status={null} settings={s} onSettings={setS} onListenerChanged={vi.fn()} />;
}

beforeEach(() => {
  vi.clearAllMocks();
  m.saveSettings.mockImplementation((s) => Promise.resolve(s as Settings));
  m.recordingsStatus.mockResolvedValue({
    dir: "/home/sam/.local/share/postcall/recordings",
    ready: 12,
    queued: 1,
    downloading: 1,
    failed: 2,
    none: 0,
    bytes: 3 * 1024 * 1024,
  });
  m.recordingsPrune.mockResolvedValue({ removed: 3, freed_bytes: 1024 * 1024 });
  m.onRecordingsChanged.mockImplementation((cb) => {
    recordingsChanged = cb;
    return Promise.resolve(() => undefined);
  });
  m.getSyncSettings.mockReturnValue(new Promise(() => undefined));
  m.getSyncStatus.mockReturnValue(new Promise(() => undefined));
  m.onSyncProgress.mockResolvedValue(() => undefined);
});

describe("Recordings settings", () => {
  it("shows the vault and says calls are never deleted", async () => {
    render(<Harness initial={makeSettings()} />);
    const status = await screen.findByText("12 recordings · 3.0 MB");
    expect(status).toBeInTheDocument();
    const box = screen.getByTestId("recordings-status");
    expect(box).toHaveTextContent("2 downloads failed");
    expect(box).toHaveTextContent("2 waiting to download");
    expect(box).toHaveTextContent("/home/sam/.local/share/postcall/recordings");
    expect(screen.getByText(/calls and their transcripts are never deleted/)).toBeInTheDocument();
  });

  it("saves the toggle and the limits (empty = no limit)", async () => {
    render(<Harness initial={makeSettings({ recordings_keep_days: 30 })} />);
    await screen.findByText("12 recordings · 3.0 MB");

    fireEvent.click(screen.getByTestId("recordings-auto"));
    await waitFor(() =>
      expect(m.saveSettings).toHaveBeenLastCalledWith(expect.objectContaining({ recordings_auto_download: false })),
    );
    expect(screen.getByTestId("recordings-auto")).not.toBeChecked();

    const days = screen.getByTestId("recordings-keep-days");
    expect(days).toHaveValue(30);
    fireEvent.change(days, { target: { value: "" } });
    fireEvent.blur(days);
    await waitFor(() =>
      expect(m.saveSettings).toHaveBeenLastCalledWith(expect.objectContaining({ recordings_keep_days: null })),
    );

    const gb = screen.getByTestId("recordings-max-gb");
    fireEvent.change(gb, { target: { value: "2.5" } });
    fireEvent.submit(gb);
    await waitFor(() =>
      expect(m.saveSettings).toHaveBeenLastCalledWith(
        expect.objectContaining({ recordings_max_gb: 2.5, recordings_keep_days: null, recordings_auto_download: false }),
      ),
    );

    // Not a number of days: not saved, and said.
    const calls = m.saveSettings.mock.calls.length;
    fireEvent.change(screen.getByTestId("recordings-keep-days"), { target: { value: "1.5" } });
    fireEvent.blur(screen.getByTestId("recordings-keep-days"));
    expect(screen.getByText("A whole number of days, or empty.")).toBeInTheDocument();
    expect(m.saveSettings).toHaveBeenCalledTimes(calls);
  });

  it("saves the allowed private hosts and the key hosts as lists", async () => {
    render(<Harness initial={makeSettings({ recordings_key_hosts: ["files.intellixent.ai"] })} />);
    await screen.findByText("12 recordings · 3.0 MB");
    expect(screen.getByTestId("recordings-key-hosts")).toHaveValue("files.intellixent.ai");

    const allow = screen.getByTestId("recordings-allow-private");
    fireEvent.change(allow, { target: { value: " 127.0.0.1,10.0.0.0/8  recorder.lan " } });
    fireEvent.blur(allow);
    await waitFor(() =>
      expect(m.saveSettings).toHaveBeenLastCalledWith(
        expect.objectContaining({ recordings_allow_private_hosts: ["127.0.0.1", "10.0.0.0/8", "recorder.lan"] }),
      ),
    );

    const keys = screen.getByTestId("recordings-key-hosts");
    fireEvent.change(keys, { target: { value: "" } });
    fireEvent.submit(keys);
    await waitFor(() =>
      expect(m.saveSettings).toHaveBeenLastCalledWith(
        expect.objectContaining({ recordings_key_hosts: [], recordings_allow_private_hosts: ["127.0.0.1", "10.0.0.0/8", "recorder.lan"] }),
      ),
    );

    // Unchanged text saves nothing.
    const calls = m.saveSettings.mock.calls.length;
    fireEvent.blur(screen.getByTestId("recordings-allow-private"));
    expect(m.saveSettings).toHaveBeenCalledTimes(calls);
  });

  it("applies retention now and reports what it removed", async () => {
    render(<Harness initial={makeSettings()} />);
    await screen.findByText("12 recordings · 3.0 MB");
    fireEvent.click(screen.getByTestId("recordings-prune"));
    expect(await screen.findByTestId("recordings-prune-report")).toHaveTextContent(
      "Removed 3 recordings, freeing 1.0 MB. The calls are still there.",
    );
    await waitFor(() => expect(m.recordingsStatus).toHaveBeenCalledTimes(2));
  });

  it("re-reads the vault when a recording changes state, not on every progress tick", async () => {
    render(<Harness initial={makeSettings()} />);
    await screen.findByText("12 recordings · 3.0 MB");
    const progress = (state: RecordingProgress["state"]): RecordingProgress => ({ id: 7, state, bytes: 10, total_bytes: 20, error: null });
    act(() => recordingsChanged(progress("downloading")));
    // Longer than the re-read's debounce: a tick alone never re-reads.
    await new Promise((r) => setTimeout(r, 400));
    expect(m.recordingsStatus).toHaveBeenCalledTimes(1);
    m.recordingsStatus.mockResolvedValue({
      dir: "/home/sam/.local/share/postcall/recordings",
      ready: 13,
      queued: 0,
      downloading: 1,
      failed: 2,
      none: 0,
      bytes: 4 * 1024 * 1024,
    });
    act(() => recordingsChanged(progress("ready")));
    expect(await screen.findByText("13 recordings · 4.0 MB")).toBeInTheDocument();
    expect(m.recordingsStatus).toHaveBeenCalledTimes(2);
  });
});
