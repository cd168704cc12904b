// The transcript as a conversation. Turn text is payload data: rendered as text nodes only,
// with the active search terms marked. With a recording, the turn playing now is marked and kept
// in view inside the transcript's own scroll box (never the whole page); clicking a turn seeks.
// Scrolling by hand while playing pauses the follow until "Back to current" is pressed.
// Long transcripts are windowed (useTurnWindow): only the turns in view are in the DOM.

import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Turn } from "../../api/types";
import { Highlight } from "../../components/Highlight";
import { formatDuration } from "../../format";
import { clock, turnTime } from "../player/time";
import { trace } from "../search/trace";
import { useTurnWindow } from "./useTurnWindow";

export function senderLabel(sender: string): string {
  if (sender === "bot") return "Assistant";
  if (sender === "human") return "Customer";
  return sender || "Unknown";
}

/** "Assistant: …" / "Customer: …" lines, for the clipboard. */
export function transcriptText(turns: Turn[]): string {
  return turns.map((t) => `${senderLabel(t.sender)}: ${t.text}`).join("\n");
}

/** What the transcript needs from the player. */
export interface TranscriptSync {
  /** Turn.index of the turn playing now */
  current: number | null;
  /** seconds added to every turn's offset */
  offset: number;
  playing: boolean;
  onSeek: (seconds: number) => void;
}

interface Props {
  turns: Turn[];
  terms: string[];
  /** the turn a search hit pointed at: scrolled to and highlighted */
  focusIndex: number | null;
  sync?: TranscriptSync | null;
  /** extra items after a turn (review notes pinned to it), inside the list */
  annotations?: (turnIndex: number) => ReactNode;
  /** the turn picked by a click (notes are pinned to it when nothing plays) */
  selectedIndex?: number | null;
  onSelectTurn?: (turnIndex: number) => void;
}

function hasSelectionIn(el: HTMLElement): boolean {
  const sel = window.getSelection();
  return !!sel && !sel.isCollapsed && sel.anchorNode !== null && el.contains(sel.anchorNode);
}

export function Transcript({ turns, terms, focusIndex, sync = null, annotations, selectedIndex = null, onSelectTurn }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const ours = useRef<number | null>(null);
  const [follow, setFollow] = useState(true);
  const current = sync?.current ?? null;
  const playing = sync?.playing ?? false;
  const onOwnScroll = useCallback((top: number) => {
    ours.current = top;
  }, []);
  trace("transcript-render");
  // Before the window's own layout effects, which measure (and so force style and layout).
  useLayoutEffect(() => trace("transcript-commit"));
  const posOf = useMemo(() => new Map(turns.map((t, i) => [t.index, i])), [turns]);
  const win = useTurnWindow(turns.length, list, onOwnScroll, focusIndex === null ? null : (posOf.get(focusIndex) ?? null));
  const { scrollTo } = win;

  // Before the first paint, so a hit far down a long call opens at its turn, not at the top.
  useLayoutEffect(() => {
    if (focusIndex === null) return;
    const pos = posOf.get(focusIndex);
    if (pos !== undefined) scrollTo(pos, "center");
  }, [focusIndex, posOf, scrollTo]);

  // Keep the playing turn in view while following.
  useEffect(() => {
    if (!playing || !follow || current === null) return;
    const pos = posOf.get(current);
    if (pos === undefined) return;
    const top = scrollTo(pos, "nearest");
    if (top !== null) ours.current = top;
  }, [current, playing, follow, posOf, scrollTo]);

  const onScroll = () => {
    const b = box.current;
    if (!b || !playing || !follow) return;
    // Our own scrolling lands exactly where we put it; anything else is the user.
    if (ours.current !== null && Math.abs(b.scrollTop - ours.current) < 2) return;
    setFollow(false);
  };

  const seekTo = (t: Turn) => {
    if (!sync) return;
    const at = turnTime(t, sync.offset);
    if (at === null) return;
    setFollow(true);
    sync.onSeek(at);
  };

  return (
    <div className={sync ? "transcript-scroll" : "transcript-box"} ref={box} onScroll={onScroll}>
      <ol
        className="transcript"
        ref={list}
        data-testid="transcript"
        data-turns={turns.length}
        style={win.padTop || win.padBottom ? { paddingTop: win.padTop, paddingBottom: win.padBottom } : undefined}
      >
        {turns.slice(win.start, win.end).map((t, i) => {
          const pos = win.start + i;
          const side = t.sender === "bot" ? "bot" : t.sender === "human" ? "human" : "other";
          const isCurrent = sync !== null && t.index === current;
          const at = sync ? turnTime(t, sync.offset) : null;
          const seekable = at !== null;
          const selectable = seekable || onSelectTurn !== undefined;
          return (
            <Fragment key={t.index}>
            <li
              ref={win.rowRef(pos)}
              className={`turn turn-${side}${t.index === focusIndex ? " turn-focus" : ""}${isCurrent ? " turn-current" : ""}${seekable ? " turn-seekable" : ""}${t.index === selectedIndex && !isCurrent ? " turn-selected" : ""}`}
              data-testid="transcript-turn"
              data-sender={t.sender}
              data-turn-index={t.index}
              aria-current={isCurrent ? "true" : undefined}
              onClick={
                selectable
                  ? (e) => {
                      // Selecting text to copy it is not a request to seek.
                      if (hasSelectionIn(e.currentTarget)) return;
                      onSelectTurn?.(t.index);
                      if (seekable) seekTo(t);
                    }
                  : undefined
              }
            >
              <div className="turn-meta">
                <span className="turn-who">{senderLabel(t.sender)}</span>
                {t.offset_seconds !== null &&
                  (seekable ? (
                    <button
                      type="button"
                      className="turn-time turn-seek mono"
                      aria-label={`Play from ${clock(at)}`}
                      title="Play from here"
                    >
                      {formatDuration(t.offset_seconds)}
                    </button>
                  ) : (
                    <span className="turn-time mono">{formatDuration(t.offset_seconds)}</span>
                  ))}
              </div>
              <div className="turn-text">
                <Highlight text={t.text} terms={terms} />
              </div>
            </li>
            {annotations?.(t.index)}
            </Fragment>
          );
        })}
      </ol>
      {sync && !follow && (
        <button
          type="button"
          className="btn btn-small back-to-current"
          data-testid="back-to-current"
          onClick={() => {
            setFollow(true);
            const pos = posOf.get(current ?? -1);
            if (pos !== undefined) {
              const top = scrollTo(pos, "nearest");
              if (top !== null) ours.current = top;
            }
          }}
        >
          Back to current
        </button>
      )}
    </div>
  );
}
