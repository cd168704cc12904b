import { memo, useEffect, useRef } from "react";
import type { PaintedHit } from "../../api/types";
import { Marked } from "../../components/Highlight";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDateTime, formatRelativeTime } from "../../format";
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

interface Props {
  hits: PaintedHit[];
  selectedIndex: number;
  now: number;
  onOpen: (hit: PaintedHit) => void;
}

export const SearchResults = memo(function SearchResults({ hits, selectedIndex, now, onOpen }: Props) {
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    const el = list.current?.children[selectedIndex];
    if (el instanceof HTMLElement) el.scrollIntoView({ block: "nearest" });
  }, [selectedIndex]);

  return (
    <ul className="hits" ref={list} aria-label="Search results">
      {hits.map((hit, i) => {
        const who = senderLabel(hit.sender);
        return (
          <li
            key={`${hit.call_id}-${hit.turn_index ?? hit.field}-${i}`}
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
