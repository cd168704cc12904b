// A banner when the payloads Intellixent sends change shape (a field added, one that was always
// there missing, a type changed), with an example call and the list of every change so far
// ("Payload changes"). Dismissing hides it until a newer change arrives. The changes are found
// by the back end (core insights::drift); this only shows them.

import { useState } from "react";
import { queries, useApiQuery } from "../../api/queries";
import type { Drift } from "../../api/types";
import { Icon } from "../../components/Icon";
import "./insights.css";

const SEEN_KEY = "postcall.drift.seen";
const NO_DRIFT: Drift[] = [];

/** One line saying what changed. */
export function describeDrift(d: Drift): string {
  switch (d.change) {
    case "added":
      return `new field ${d.path} (${d.to ?? "?"})`;
    case "missing":
      return `${d.path} is no longer sent`;
    default:
      return `${d.path} changed type: ${d.from ?? "?"} → ${d.to ?? "?"}`;
  }
}

function keyOf(d: Drift): string {
  return `${d.first_seen} ${d.change} ${d.path}`;
}

function readSeen(): string | null {
  try {
    return window.localStorage.getItem(SEEN_KEY);
  } catch {
    return null;
  }
}

interface Props {
  onOpenCall: (id: number) => void;
}

export function DriftBanner({ onOpenCall }: Props) {
  // Without a back end (or on an older one) there is simply no banner.
  const changes = useApiQuery(queries.drift()).data ?? NO_DRIFT;
  const [seen, setSeen] = useState<string | null>(readSeen);
  const [expanded, setExpanded] = useState(false);

  const latest = changes[0];
  if (!latest || (seen === keyOf(latest) && !expanded)) return null;
  const dismiss = () => {
    const key = keyOf(latest);
    try {
      window.localStorage.setItem(SEEN_KEY, key);
    } catch {
      // not kept across restarts then
    }
    setSeen(key);
    setExpanded(false);
  };
  return (
    <div className="drift-banner" role="status" data-testid="drift-banner">
      <Icon name="alert" size={15} />
      <div className="drift-text">
        <span>
          The webhook payload changed: <strong>{describeDrift(latest)}</strong>
          {latest.example_call_id !== null && (
            <>
              {" "}
              (e.g.{" "}
              <button type="button" className="link" onClick={() => onOpenCall(latest.example_call_id ?? 0)}>
                call {latest.example_call_id}
              </button>
              )
            </>
          )}
        </span>
        {expanded && (
          <ul className="drift-list" data-testid="drift-list" aria-label="Payload changes">
            {changes.map((d) => (
              <li key={keyOf(d)}>
                <span className="mono small">{d.first_seen.slice(0, 19).replace("T", " ")}</span>
                <span>{describeDrift(d)}</span>
                {d.example_call_id !== null && (
                  <button type="button" className="link small" onClick={() => onOpenCall(d.example_call_id ?? 0)}>
                    call {d.example_call_id}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="button" className="link" onClick={() => setExpanded((x) => !x)} aria-expanded={expanded}>
        {expanded ? "Hide" : `Payload changes (${changes.length})`}
      </button>
      <button type="button" className="link" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
