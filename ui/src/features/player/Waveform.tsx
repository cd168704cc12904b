// The recording drawn as a waveform on a <canvas> (from the vault's peaks), or a plain track when
// there are none; the played part in the accent colour and a playhead. Click or drag to seek; the
// element is also a keyboard slider (arrows via the player shortcuts, Home/End here). Below it, the
// transcript's turns as Assistant/Customer segments: clicking one seeks to that turn.

import { useEffect, useRef, type KeyboardEvent, type PointerEvent, type RefObject } from "react";
import type { Turn } from "../../api/types";
import { senderLabel } from "../detail/Transcript";
import { clock, turnTime } from "./time";

interface Props {
  peaks: number[] | null;
  /** seconds; 0 when unknown (then nothing can be placed on the track) */
  duration: number;
  time: number;
  playing: boolean;
  audio: RefObject<HTMLAudioElement | null>;
  turns: Turn[];
  offset: number;
  currentTurn: number | null;
  onSeek: (t: number) => void;
  onSeekTurn: (turn: Turn) => void;
  /** review notes on the recording: a marker each; clicking one seeks there */
  markers?: WaveformMarker[];
}

export interface WaveformMarker {
  id: string;
  /** seconds */
  at: number;
  /** the note's text (a tooltip: text only) */
  label: string;
  turn: number | null;
}

interface Inputs {
  peaks: number[] | null;
  duration: number;
  time: number;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

function paint(c: HTMLCanvasElement | null, v: Inputs, t: number): void {
  if (!c) return;
  const w = c.clientWidth;
  const h = c.clientHeight;
  if (w <= 0 || h <= 0) return;
  const dpr = window.devicePixelRatio || 1;
  const bw = Math.round(w * dpr);
  const bh = Math.round(h * dpr);
  if (c.width !== bw) c.width = bw;
  if (c.height !== bh) c.height = bh;
  const ctx = c.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const style = getComputedStyle(c);
  const played = cssVar(style, "--accent", "#3b5bdb");
  const rest = cssVar(style, "--border-strong", "#d2d2ce");
  const head = cssVar(style, "--fg", "#1d1d1f");
  const frac = v.duration > 0 ? Math.min(1, Math.max(0, t / v.duration)) : 0;
  const px = frac * w;

  const peaks = v.peaks;
  if (peaks && peaks.length > 0) {
    const step = 3;
    const bar = 2;
    const n = Math.max(1, Math.floor(w / step));
    const mid = h / 2;
    for (let i = 0; i < n; i++) {
      const a = Math.floor((i * peaks.length) / n);
      const b = Math.max(a + 1, Math.floor(((i + 1) * peaks.length) / n));
      let m = 0;
      for (let k = a; k < b && k < peaks.length; k++) m = Math.max(m, peaks[k] ?? 0);
      const barH = Math.max(1.5, Math.min(1, m) * (h - 4));
      const x = i * step;
      ctx.fillStyle = x + bar / 2 <= px ? played : rest;
      ctx.fillRect(x, mid - barH / 2, bar, barH);
    }
  } else {
    const th = 4;
    const y = (h - th) / 2;
    ctx.fillStyle = rest;
    ctx.fillRect(0, y, w, th);
    ctx.fillStyle = played;
    ctx.fillRect(0, y, px, th);
  }
  ctx.fillStyle = head;
  ctx.fillRect(Math.min(Math.max(0, px - 1), w - 2), 0, 2, h);
}

export function Waveform({
  peaks,
  duration,
  time,
  playing,
  audio,
  turns,
  offset,
  currentTurn,
  onSeek,
  onSeekTurn,
  markers = [],
}: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const inputs = useRef<Inputs>({ peaks, duration, time });
  const dragging = useRef(false);

  // Repaint after every render with the latest inputs.
  useEffect(() => {
    inputs.current = { peaks, duration, time };
    paint(canvas.current, inputs.current, time);
  });

  // Repaint on resize, on a device-pixel-ratio change and on a theme switch.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const repaint = () => paint(canvas.current, inputs.current, audio.current?.currentTime ?? inputs.current.time);
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(repaint) : null;
    ro?.observe(c);
    const mo = typeof MutationObserver !== "undefined" ? new MutationObserver(repaint) : null;
    mo?.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "class"] });
    window.addEventListener("resize", repaint);
    return () => {
      ro?.disconnect();
      mo?.disconnect();
      window.removeEventListener("resize", repaint);
    };
  }, [audio]);

  // While playing, follow the element every frame (timeupdate alone is ~4 Hz: jerky).
  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    const loop = () => {
      const el = audio.current;
      if (el) paint(canvas.current, inputs.current, el.currentTime);
      raf = requestAnimationFrame(loop);
    };
    raf = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(raf);
  }, [playing, audio]);

  const seekAt = (el: HTMLElement, clientX: number) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || duration <= 0) return;
    onSeek(Math.min(1, Math.max(0, (clientX - r.left) / r.width)) * duration);
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    dragging.current = true;
    try {
      e.currentTarget.setPointerCapture(e.pointerId);
    } catch {
      // not every engine (or test DOM) supports capture; dragging still works over the element
    }
    seekAt(e.currentTarget, e.clientX);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (dragging.current) seekAt(e.currentTarget, e.clientX);
  };
  const stopDrag = () => {
    dragging.current = false;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Home") {
      e.preventDefault();
      onSeek(0);
    } else if (e.key === "End" && duration > 0) {
      e.preventDefault();
      onSeek(duration);
    }
  };

  const timed = turns
    .map((t) => ({ turn: t, at: turnTime(t, offset) }))
    .filter((x): x is { turn: Turn; at: number } => x.at !== null);

  return (
    <div className="waveform-box">
      <div
        className={`waveform${peaks && peaks.length > 0 ? "" : " waveform-plain"}`}
        data-testid="waveform"
        role="slider"
        tabIndex={0}
        aria-label="Seek"
        aria-valuemin={0}
        aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(time)}
        aria-valuetext={`${clock(time)} of ${clock(duration > 0 ? duration : null)}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={stopDrag}
        onPointerCancel={stopDrag}
        onKeyDown={onKeyDown}
      >
        <canvas ref={canvas} aria-hidden="true" />
      </div>
      {duration > 0 && markers.length > 0 && (
        <div className="note-strip" aria-label="Notes on the recording">
          {markers.map((m) => (
            <button
              key={m.id}
              type="button"
              className="note-marker"
              style={{ left: `${(Math.min(m.at, duration) / duration) * 100}%` }}
              title={`${clock(m.at)} · ${m.label}`}
              aria-label={`Note at ${clock(m.at)}`}
              data-testid="note-marker"
              data-turn={m.turn ?? ""}
              data-note-id={m.id}
              onClick={() => onSeek(m.at)}
            />
          ))}
        </div>
      )}
      {duration > 0 && timed.length > 0 && (
        <div className="turn-strip" aria-label="Turns on the recording">
          {timed.map(({ turn, at }, i) => {
            const next = timed[i + 1]?.at ?? duration;
            const start = Math.min(at, duration);
            const end = Math.max(start, Math.min(next, duration));
            const side = turn.sender === "bot" ? "bot" : turn.sender === "human" ? "human" : "other";
            const label = `${senderLabel(turn.sender)} at ${clock(at)}`;
            return (
              <button
                key={turn.index}
                type="button"
                tabIndex={-1}
                className={`seg seg-${side}${turn.index === currentTurn ? " seg-current" : ""}`}
                style={{ left: `${(start / duration) * 100}%`, width: `${((end - start) / duration) * 100}%` }}
                title={label}
                aria-label={label}
                data-testid="turn-segment"
                onClick={() => onSeekTurn(turn)}
              />
            );
          })}
        </div>
      )}
    </div>
  );
}
