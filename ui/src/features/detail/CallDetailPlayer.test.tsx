// The recording player inside the call detail: state texts, seeking from the transcript, the
// current turn, keyboard shortcuts and playback failures. jsdom has no media engine: play/pause
// are stubbed and media events are fired by hand.

import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import * as client from "../../api/client";
import { queryClient } from "../../api/queries";
import type { CallDetail, RecordingProgress } from "../../api/types";
import { callDetail, readyRecording, recording } from "../../test/fixtures";
import { AAC_INSTALL } from "../player/RecordingPanel";
import { CallDetailView } from "./CallDetailView";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    getCall: vi.fn(),
    copyText: vi.fn(),
    onCallsChanged: vi.fn(),
    onRecordingsChanged: vi.fn(),
    recordingFetch: vi.fn(),
    recordingPeaks: vi.fn(),
    recordingSave: vi.fn(),
    recordingSetOffset: vi.fn(),
  };
});

const m = vi.mocked(client);
let progressCb: ((p: RecordingProgress) => void) | null = null;
let playSpy: MockInstance<() => Promise<void>>;
let pauseSpy: MockInstance<() => void>;

const turns = [
  { index: 0, sender: "bot", text: "Hello Maria", timestamp: null, offset_seconds: 0 },
  { index: 1, sender: "human", text: "Hi there", timestamp: null, offset_seconds: 10 },
  { index: 2, sender: "bot", text: "Is Thursday fine?", timestamp: null, offset_seconds: 30 },
];

function withPlayer(over: Partial<CallDetail> = {}): CallDetail {
  return callDetail({ transcript: turns, recording: readyRecording(), ...over });
}

function setPaused(el: HTMLMediaElement, paused: boolean) {
  Object.defineProperty(el, "paused", { value: paused, configurable: true });
}

/** Pretend the media's metadata has loaded (duration known, seekable). */
function loadMetadata(audio: HTMLAudioElement, duration = 125) {
  Object.defineProperty(audio, "readyState", { value: 1, configurable: true });
  Object.defineProperty(audio, "duration", { value: duration, configurable: true });
  fireEvent.loadedMetadata(audio);
}

async function open(detail: CallDetail, turnIndex: number | null = null) {
  m.getCall.mockResolvedValue(detail);
  render(<CallDetailView id={7} turnIndex={turnIndex} terms={[]} onBack={vi.fn()} />);
  await screen.findByTestId("recording-panel");
}

const audio = () => screen.getByTestId<HTMLAudioElement>("audio-player");
const turnEls = () => screen.getAllByTestId("transcript-turn");

beforeEach(() => {
  vi.clearAllMocks();
  progressCb = null;
  m.onCallsChanged.mockResolvedValue(() => undefined);
  m.onRecordingsChanged.mockImplementation((cb) => {
    progressCb = cb;
    return Promise.resolve(() => undefined);
  });
  m.recordingFetch.mockResolvedValue(null);
  m.recordingPeaks.mockResolvedValue({ duration_seconds: 125, peaks: [0.1, 0.5, 1, 0.3] });
  m.recordingSetOffset.mockResolvedValue(null);
  playSpy = vi.spyOn(HTMLMediaElement.prototype, "play").mockImplementation(function (this: HTMLMediaElement) {
    setPaused(this, false);
    this.dispatchEvent(new Event("play"));
    return Promise.resolve();
  });
  pauseSpy = vi.spyOn(HTMLMediaElement.prototype, "pause").mockImplementation(function (this: HTMLMediaElement) {
    setPaused(this, true);
    this.dispatchEvent(new Event("pause"));
  });
  vi.spyOn(HTMLMediaElement.prototype, "load").mockImplementation(() => undefined);
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("recording states", () => {
  it("shows download progress live from recordings-changed", async () => {
    await open(
      withPlayer({
        recording: recording({ state: "downloading", url: "https://cdn.example.com/7.mp3", bytes: 0, total_bytes: 2 * 1024 * 1024 }),
      }),
    );
    const panel = screen.getByTestId("recording-panel");
    expect(panel).toHaveAttribute("data-state", "downloading");
    expect(screen.getByTestId("recording-progress")).toHaveAttribute("max", String(2 * 1024 * 1024));
    await waitFor(() => expect(progressCb).not.toBeNull());
    act(() => progressCb?.({ id: 7, state: "downloading", bytes: 1024 * 1024, total_bytes: 2 * 1024 * 1024, error: null }));
    expect(panel).toHaveTextContent("Downloading… 1.0 MB of 2.0 MB");
    expect(screen.getByTestId("recording-progress")).toHaveAttribute("value", String(1024 * 1024));
    // Another call's progress is not ours, and is not kept: a vault working through thousands
    // of recordings would otherwise leave an entry for each in the cache.
    act(() => progressCb?.({ id: 8, state: "downloading", bytes: 5, total_bytes: 10, error: null }));
    expect(panel).toHaveTextContent("1.0 MB of 2.0 MB");
    expect(queryClient.getQueryCache().find({ queryKey: ["recording-progress", 8] })).toBeUndefined();
    // A new state reloads the call.
    m.getCall.mockResolvedValue(withPlayer());
    act(() => progressCb?.({ id: 7, state: "ready", bytes: 10, total_bytes: 10, error: null }));
    await waitFor(() => expect(screen.getByTestId("recording-panel")).toHaveAttribute("data-state", "ready"));
    expect(m.getCall).toHaveBeenCalledTimes(2);
  });

  it("says why a download failed and retries it", async () => {
    await open(
      withPlayer({
        recording: recording({ state: "failed", url: "https://cdn.example.com/7.mp3", error: "The host answered 404 Not Found.", attempts: 3 }),
      }),
    );
    expect(screen.getByTestId("recording-panel")).toHaveTextContent("The download failed: The host answered 404 Not Found.");
    fireEvent.click(screen.getByTestId("recording-retry"));
    await waitFor(() => expect(m.recordingFetch).toHaveBeenCalledWith(7));
    await waitFor(() => expect(m.getCall).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.getByTestId("recording-retry")).toBeEnabled());
  });

  it("offers a download when the recording is not in the vault, and says when there is none", async () => {
    await open(
      withPlayer({
        recording: recording({ state: "none", url: "https://cdn.example.com/7.mp3", media_url: "https://cdn.example.com/7.mp3" }),
      }),
    );
    // The remote URL still plays, but only once asked.
    expect(audio()).toHaveAttribute("preload", "none");
    fireEvent.click(screen.getByTestId("recording-download"));
    await waitFor(() => expect(m.recordingFetch).toHaveBeenCalledWith(7));
    await waitFor(() => expect(screen.getByTestId("recording-download")).toBeEnabled());
  });

  it("loads the vault copy's metadata and shows size, format and duration", async () => {
    await open(withPlayer());
    expect(audio()).toHaveAttribute("preload", "metadata");
    expect(audio()).toHaveAttribute("src", "http://127.0.0.1:5555/media/7");
    expect(audio()).not.toHaveAttribute("controls");
    expect(screen.getByTestId("recording-panel")).toHaveTextContent("MP3 · 1.1 MB · 2:05");
    expect(screen.getByTestId("player-time")).toHaveTextContent("0:00 / 2:05");
    expect(m.recordingPeaks).not.toHaveBeenCalled();
  });

  it("draws the waveform from the vault's peaks when there are some", async () => {
    await open(withPlayer({ recording: readyRecording({ has_peaks: true }) }));
    await waitFor(() => expect(m.recordingPeaks).toHaveBeenCalledWith(7));
    await waitFor(() => expect(screen.getByTestId("waveform")).not.toHaveClass("waveform-plain"));
    expect(screen.getAllByTestId("turn-segment")).toHaveLength(3);
  });

  it("re-reads the shown call's peaks when its recording turns ready, and no other call's", async () => {
    await open(withPlayer({ recording: readyRecording({ has_peaks: true }) }));
    await waitFor(() => expect(m.recordingPeaks).toHaveBeenCalledTimes(1));
    const ready = (id: number): RecordingProgress => ({ id, state: "ready", bytes: 1, total_bytes: 1, error: null });
    act(() => progressCb?.(ready(8)));
    act(() => progressCb?.(ready(7)));
    await waitFor(() => expect(m.recordingPeaks).toHaveBeenCalledTimes(2));
    expect(m.recordingPeaks.mock.calls.map(([id]) => id)).toEqual([7, 7]);
  });
});

describe("transcript sync", () => {
  it("marks the current turn, with the offset applied", async () => {
    await open(withPlayer({ recording: readyRecording({ offset_seconds: 2 }) }));
    const a = audio();
    loadMetadata(a);
    a.currentTime = 11;
    fireEvent.timeUpdate(a);
    expect(turnEls()[0]).toHaveClass("turn-current");
    expect(turnEls()[0]).toHaveAttribute("aria-current", "true");
    a.currentTime = 12;
    fireEvent.timeUpdate(a);
    expect(turnEls()[1]).toHaveClass("turn-current");
    expect(turnEls()[0]).not.toHaveClass("turn-current");
    expect(turnEls()[0]).not.toHaveAttribute("aria-current");
    expect(screen.getByTestId("player-time")).toHaveTextContent("0:12 / 2:05");
  });

  it("seeks to a turn when it is clicked", async () => {
    await open(withPlayer());
    const a = audio();
    loadMetadata(a);
    fireEvent.click(turnEls()[2] as HTMLElement);
    expect(a.currentTime).toBe(30);
    expect(turnEls()[2]).toHaveClass("turn-current");
    // The time chip is a keyboard-reachable button doing the same.
    fireEvent.click(screen.getByRole("button", { name: "Play from 0:10" }));
    expect(a.currentTime).toBe(10);
  });

  it("moves turns with the offset nudge and saves it", async () => {
    await open(withPlayer());
    loadMetadata(audio());
    fireEvent.click(screen.getByTestId("offset-plus"));
    expect(screen.getByTestId("offset-value")).toHaveTextContent("+0.5 s");
    expect(m.recordingSetOffset).toHaveBeenLastCalledWith(7, 0.5);
    fireEvent.click(turnEls()[1] as HTMLElement);
    expect(audio().currentTime).toBe(10.5);
    fireEvent.click(screen.getByTestId("offset-minus"));
    fireEvent.click(screen.getByTestId("offset-minus"));
    expect(screen.getByTestId("offset-value")).toHaveTextContent("−0.5 s");
    expect(m.recordingSetOffset).toHaveBeenLastCalledWith(7, -0.5);
  });

  it("seeks to a search hit's turn once the metadata is there, without playing", async () => {
    await open(withPlayer(), 2);
    const a = audio();
    expect(a.currentTime).toBe(0);
    loadMetadata(a);
    expect(a.currentTime).toBe(30);
    expect(playSpy).not.toHaveBeenCalled();
  });

  it("stops following when the transcript is scrolled by hand while playing", async () => {
    await open(withPlayer());
    const a = audio();
    loadMetadata(a);
    fireEvent.click(screen.getByTestId("player-play"));
    expect(screen.getByTestId("player-play")).toHaveAttribute("aria-label", "Pause");
    expect(screen.queryByTestId("back-to-current")).toBeNull();
    const box = document.querySelector(".transcript-scroll") as HTMLElement;
    fireEvent.scroll(box);
    fireEvent.click(screen.getByTestId("back-to-current"));
    expect(screen.queryByTestId("back-to-current")).toBeNull();
  });
});

describe("player controls", () => {
  it("plays and pauses, skips and changes speed and volume from the keyboard and controls", async () => {
    await open(withPlayer());
    const a = audio();
    loadMetadata(a);
    fireEvent.keyDown(window, { key: " " });
    expect(playSpy).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("player-play")).toHaveAttribute("aria-label", "Pause");
    fireEvent.keyDown(window, { key: " " });
    expect(pauseSpy).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("player-play")).toHaveAttribute("aria-label", "Play");

    fireEvent.keyDown(window, { key: "ArrowRight" });
    expect(a.currentTime).toBe(5);
    fireEvent.keyDown(window, { key: "ArrowRight", shiftKey: true });
    expect(a.currentTime).toBe(20);
    fireEvent.keyDown(window, { key: "ArrowLeft" });
    expect(a.currentTime).toBe(15);
    fireEvent.keyDown(window, { key: "ArrowLeft", shiftKey: true });
    expect(a.currentTime).toBe(0);

    fireEvent.keyDown(window, { key: "]" });
    expect(a.playbackRate).toBe(1.25);
    expect(screen.getByTestId("player-speed")).toHaveValue("1.25");
    fireEvent.keyDown(window, { key: "[" });
    fireEvent.keyDown(window, { key: "[" });
    expect(a.playbackRate).toBe(0.75);
    fireEvent.change(screen.getByTestId("player-speed"), { target: { value: "2" } });
    expect(a.playbackRate).toBe(2);

    fireEvent.change(screen.getByTestId("player-volume"), { target: { value: "0.4" } });
    expect(a.volume).toBeCloseTo(0.4);

    // Keys typed into a field are not shortcuts.
    const speed = screen.getByTestId("player-speed");
    fireEvent.keyDown(speed, { key: "ArrowRight" });
    expect(a.currentTime).toBe(0);
  });

  it("keeps Escape for going back", async () => {
    m.getCall.mockResolvedValue(withPlayer());
    const onBack = vi.fn();
    render(<CallDetailView id={7} turnIndex={null} terms={[]} onBack={onBack} />);
    await screen.findByTestId("audio-player");
    fireEvent.keyDown(window, { key: "Escape" });
    expect(onBack).toHaveBeenCalled();
  });

  it("saves a copy where the user picked", async () => {
    m.recordingSave.mockResolvedValue("/home/sam/Music/call-7.mp3");
    await open(withPlayer());
    fireEvent.click(screen.getByTestId("player-save"));
    expect(await screen.findByTestId("player-saved")).toHaveTextContent("Saved to /home/sam/Music/call-7.mp3");
    expect(m.recordingSave).toHaveBeenCalledWith(7);
  });

  it("seeks with the waveform", async () => {
    await open(withPlayer());
    const a = audio();
    loadMetadata(a, 100);
    const wave = screen.getByTestId("waveform");
    vi.spyOn(wave, "getBoundingClientRect").mockReturnValue(new DOMRect(10, 0, 200, 56));
    fireEvent.pointerDown(wave, { clientX: 60, button: 0, pointerId: 1 });
    expect(a.currentTime).toBe(25);
    fireEvent.pointerMove(wave, { clientX: 110, pointerId: 1 });
    expect(a.currentTime).toBe(50);
    fireEvent.pointerUp(wave, { pointerId: 1 });
    fireEvent.pointerMove(wave, { clientX: 210, pointerId: 1 });
    expect(a.currentTime).toBe(50);
  });
});

describe("playback failures", () => {
  function failWith(code: number) {
    const a = audio();
    Object.defineProperty(a, "error", { value: { code, message: "" }, configurable: true });
    fireEvent.error(a);
  }

  it("explains a missing AAC decoder and gives the install command", async () => {
    await open(withPlayer({ recording: readyRecording({ content_type: "audio/mp4", format: "AAC (M4A)" }) }));
    failWith(4);
    const alert = await screen.findByTestId("player-error");
    expect(alert).toHaveTextContent("no decoder for AAC recordings");
    expect(alert).toHaveTextContent("restart Postcall");
    expect(alert.querySelector("pre")).toHaveTextContent(AAC_INSTALL);
    expect(AAC_INSTALL).toBe("sudo apt install gstreamer1.0-libav gstreamer1.0-plugins-bad");
    expect(screen.getByRole("button", { name: /Copy command/ })).toBeInTheDocument();
  });

  it("says why a remote recording could not be played", async () => {
    const url = "https://cdn.example.com/rec/7.mp3";
    await open(withPlayer({ recording: recording({ state: "none", url, media_url: url, content_type: "audio/mpeg" }) }));
    failWith(2);
    expect(await screen.findByTestId("player-error")).toHaveTextContent(
      "could not be played from cdn.example.com: you may be offline, the link may have expired, or it may need signing in",
    );
  });
});
