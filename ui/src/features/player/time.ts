// Pure helpers for the player: clock text, where each turn sits on the recording, which turn is
// playing, and which formats need an AAC decoder. Kept free of React so they are easy to test.

import type { Recording, Turn } from "../../api/types";

/** Playback speeds offered, slowest first (`[` and `]` step through them). */
export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

/** m:ss (or h:mm:ss), rounded down like a clock; "–" when unknown. */
export function clock(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A turn's time on the recording (its offset plus the call's nudge), null when the payload had none. */
export function turnTime(turn: Turn, offset: number): number | null {
  return turn.offset_seconds === null ? null : Math.max(0, turn.offset_seconds + offset);
}

/** Index (Turn.index) of the last turn whose time is at or before `t`, or null before the first. */
export function currentTurnIndex(turns: Turn[], offset: number, t: number): number | null {
  let current: number | null = null;
  for (const turn of turns) {
    const at = turnTime(turn, offset);
    if (at !== null && at <= t + 1e-3) current = turn.index;
  }
  return current;
}

/** The next speed up or down the list from `rate` (stays at the ends). */
export function stepSpeed(rate: number, dir: 1 | -1): number {
  const i = SPEEDS.findIndex((s) => Math.abs(s - rate) < 1e-6);
  if (i < 0) {
    const up = SPEEDS.find((s) => s > rate);
    const down = [...SPEEDS].reverse().find((s) => s < rate);
    return (dir > 0 ? up : down) ?? rate;
  }
  return SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, i + dir))] ?? rate;
}

/** "0.0 s", "+0.5 s", "−1.5 s" */
export function offsetLabel(seconds: number): string {
  const v = Math.round(seconds * 10) / 10;
  if (v === 0) return "0.0 s";
  return `${v > 0 ? "+" : "−"}${Math.abs(v).toFixed(1)} s`;
}

const AAC_TYPES = ["audio/mp4", "audio/aac", "audio/x-m4a", "audio/m4a", "video/mp4", "audio/x-aac"];

/** Whether the recording is AAC in an MP4/M4A container (needs the system's AAC decoder). */
export function isAacRecording(r: Recording): boolean {
  const type = (r.content_type ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (AAC_TYPES.includes(type)) return true;
  if ((r.format ?? "").toUpperCase().includes("AAC")) return true;
  for (const u of [r.url, r.media_url, r.path]) {
    if (!u) continue;
    const bare = u.split(/[?#]/)[0]?.toLowerCase() ?? "";
    if (/\.(m4a|mp4|aac)$/.test(bare)) return true;
  }
  return false;
}

/** The host part of a URL, for messages. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
