import { describe, expect, it } from "vitest";
import type { Turn } from "../../api/types";
import { recording } from "../../test/fixtures";
import { clock, currentTurnIndex, isAacRecording, offsetLabel, stepSpeed, turnTime } from "./time";

const turns: Turn[] = [
  { index: 0, sender: "bot", text: "Hello", timestamp: null, offset_seconds: 0 },
  { index: 1, sender: "human", text: "Hi", timestamp: null, offset_seconds: 4 },
  { index: 2, sender: "human", text: "(no time)", timestamp: null, offset_seconds: null },
  { index: 3, sender: "bot", text: "Bye", timestamp: null, offset_seconds: 10 },
];

describe("player time helpers", () => {
  it("finds the last turn at or before the time", () => {
    expect(currentTurnIndex(turns, 0, 0)).toBe(0);
    expect(currentTurnIndex(turns, 0, 3.9)).toBe(0);
    expect(currentTurnIndex(turns, 0, 4)).toBe(1);
    expect(currentTurnIndex(turns, 0, 9)).toBe(1);
    expect(currentTurnIndex(turns, 0, 60)).toBe(3);
  });

  it("adds the recording's offset to every turn", () => {
    // +2 s: the transcript starts 2 s into the audio.
    expect(currentTurnIndex(turns, 2, 1)).toBeNull();
    expect(currentTurnIndex(turns, 2, 5)).toBe(0);
    expect(currentTurnIndex(turns, 2, 6)).toBe(1);
    // −1.5 s: turns come earlier.
    expect(currentTurnIndex(turns, -1.5, 8.5)).toBe(3);
    expect(turnTime(turns[1] as Turn, -1.5)).toBe(2.5);
    expect(turnTime(turns[2] as Turn, 5)).toBeNull();
    // Never before the start.
    expect(turnTime(turns[0] as Turn, -3)).toBe(0);
  });

  it("formats clocks and offsets", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(65.9)).toBe("1:05");
    expect(clock(3725)).toBe("1:02:05");
    expect(clock(null)).toBe("–");
    expect(offsetLabel(0)).toBe("0.0 s");
    expect(offsetLabel(0.5)).toBe("+0.5 s");
    expect(offsetLabel(-1.5)).toBe("−1.5 s");
  });

  it("steps through the speeds and stops at the ends", () => {
    expect(stepSpeed(1, 1)).toBe(1.25);
    expect(stepSpeed(1, -1)).toBe(0.75);
    expect(stepSpeed(2, 1)).toBe(2);
    expect(stepSpeed(0.5, -1)).toBe(0.5);
    expect(stepSpeed(1.1, 1)).toBe(1.25);
  });

  it("recognises AAC recordings by type, label or file name", () => {
    expect(isAacRecording(recording({ content_type: "audio/mp4" }))).toBe(true);
    expect(isAacRecording(recording({ content_type: "audio/x-m4a" }))).toBe(true);
    expect(isAacRecording(recording({ content_type: "video/mp4" }))).toBe(true);
    expect(isAacRecording(recording({ url: "https://x.example/rec/1.m4a?sig=abc" }))).toBe(true);
    expect(isAacRecording(recording({ content_type: "audio/mpeg", url: "https://x.example/1.mp3" }))).toBe(false);
  });
});
