// The transcript as a conversation. Turn text is payload data: rendered as text nodes only,
// with the active search terms marked.

import { useEffect, useRef } from "react";
import type { Turn } from "../../api/types";
import { Highlight } from "../../components/Highlight";
import { formatDuration } from "../../format";

export function senderLabel(sender: string): string {
  if (sender === "bot") return "Assistant";
  if (sender === "human") return "Customer";
  return sender || "Unknown";
}

/** "Assistant: …" / "Customer: …" lines, for the clipboard. */
export function transcriptText(turns: Turn[]): string {
  return turns.map((t) => `${senderLabel(t.sender)}: ${t.text}`).join("\n");
}

interface Props {
  turns: Turn[];
  terms: string[];
  /** the turn a search hit pointed at: scrolled to and highlighted */
  focusIndex: number | null;
}

export function Transcript({ turns, terms, focusIndex }: Props) {
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    if (focusIndex === null) return;
    const el = list.current?.querySelector(`[data-turn-index="${focusIndex}"]`);
    if (el instanceof HTMLElement) el.scrollIntoView({ block: "center" });
  }, [focusIndex, turns]);

  return (
    <ol className="transcript" ref={list}>
      {turns.map((t) => {
        const side = t.sender === "bot" ? "bot" : t.sender === "human" ? "human" : "other";
        return (
          <li
            key={t.index}
            className={`turn turn-${side}${t.index === focusIndex ? " turn-focus" : ""}`}
            data-testid="transcript-turn"
            data-sender={t.sender}
            data-turn-index={t.index}
          >
            <div className="turn-meta">
              <span className="turn-who">{senderLabel(t.sender)}</span>
              {t.offset_seconds !== null && <span className="turn-time mono">{formatDuration(t.offset_seconds)}</span>}
            </div>
            <div className="turn-text">
              <Highlight text={t.text} terms={terms} />
            </div>
          </li>
        );
      })}
    </ol>
  );
}
