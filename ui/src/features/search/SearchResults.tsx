import { memo, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { PaintedHit } from "../../api/types";
import { Marked } from "../../components/Highlight";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDateTime, formatRelativeTime } from "../../format";
import { trace, traceLayout } from "./trace";
import "./search.css";

const fieldLabel: Record<string, string> = {
  transcript: "Transcript",
  summary: "Summary",
  variables: "Variables",
  phone: "Phone",
  id: "Call id",
};

function senderLabel(sender: string | null): string | null {
  if (sender === "bot") return "Assistant";
  if (sender === "human") return "Customer";
  return sender;
}

/**
 * Hits drawn in the first frame: more than the tallest window shows. The rest follow after that
 * frame is painted; creating and laying out all 200 first held the hits back by ~300 ms.
 */
export const FIRST_HITS = 40;

interface Props {
  hits: PaintedHit[];
  selectedIndex: number;
  now: number;
  onOpen: (hit: PaintedHit) => void;
}

export const SearchResults = memo(function SearchResults({ hits, selectedIndex, now, onOpen }: Props) {
  const list = useRef<HTMLUListElement>(null);
  // The hit list drawn in full (after its first screen was painted).
  const [whole, setWhole] = useState<PaintedHit[] | null>(null);
  const complete = whole === hits || hits.length <= FIRST_HITS || selectedIndex >= FIRST_HITS;
  const shown = complete ? hits : hits.slice(0, FIRST_HITS);
  trace("hits-render");

  useEffect(() => {
    if (complete) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A timeout inside the frame callback runs once that frame has been painted.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setWhole(hits), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [hits, complete]);

  useLayoutEffect(() => {
    if (hits.length === 0) return;
    trace("hits-commit");
    traceLayout("hits-layout");
  }, [hits]);

  useEffect(() => {
    const el = list.current?.children[selectedIndex];
    if (el instanceof HTMLElement) el.scrollIntoView({ block: "nearest" });
  }, [selectedIndex]);

  return (
    <ul className="hits" ref={list} aria-label="Search results">
      {shown.map((hit, i) => {
        const who = senderLabel(hit.sender);
        return (
          // One hit per call: keyed by it, a refresh that reorders the hits moves them rather than
          // rebuilding them (a click under way stays on its hit).
          <li
            key={hit.call_id}
            className={`hit${i === selectedIndex ? " hit-selected" : ""}`}
            data-testid="search-result"
            data-call-id={hit.call_id}
            aria-selected={i === selectedIndex}
            onClick={() => onOpen(hit)}
          >
            <div className="hit-head">
              <span className="hit-time" title={formatDateTime(hit.created_at_ms)}>
                {formatRelativeTime(hit.created_at_ms, now)}
              </span>
              <span className="mono">{hit.customer_phone ?? "–"}</span>
              <StatusBadge status={hit.status} />
              <span className="hit-field">
                {fieldLabel[hit.field] ?? hit.field}
                {who ? ` · ${who}` : ""}
              </span>
              <span className="hit-id dim mono">#{hit.call_id}</span>
            </div>
            <div className="hit-snippet">
              <Marked parts={hit.snippet_parts} />
            </div>
          </li>
        );
      })}
    </ul>
  );
});
