// Where each extracted value was said: "said at 1:23" (or "said in turn 4" without turn times)
// next to each variable that can be quoted, or "not found in the transcript" — what a reviewer
// wants to check. Clicking a place selects that turn and seeks the player there when it plays.
// The matching is done by the back end (`evidence` of a call, see core insights::evidence).

import type { Evidence, Turn } from "../../api/types";
import { clock, turnTime } from "../player/time";
import "../insights/insights.css";

interface Props {
  evidence: Record<string, Evidence[]>;
  turns: Turn[];
  offset: number;
  /** Select (and, with a recording, seek to) a turn. */
  onPick: (turn: number, at: number | null) => void;
}

function place(e: Evidence, turns: Turn[], offset: number): { label: string; at: number | null } {
  const turn = turns.find((t) => t.index === e.turn);
  const at = turn ? turnTime(turn, offset) : null;
  return { label: at === null ? `said in turn ${e.turn + 1}` : `said at ${clock(at)}`, at };
}

export function VariableEvidence({ evidence, turns, offset, onPick }: Props) {
  const names = Object.keys(evidence);
  if (names.length === 0) return null;
  return (
    <dl className="evidence" data-testid="variable-evidence" aria-label="Where each value was said">
      {names.map((name) => {
        const found = evidence[name] ?? [];
        return (
          <div key={name} className="evidence-row" data-variable={name}>
            <dt className="mono small">{name}</dt>
            <dd className="small">
              {found.length === 0 ? (
                <span className="evidence-missing" data-testid="evidence-missing">
                  not found in the transcript
                </span>
              ) : (
                found.slice(0, 3).map((e) => {
                  const p = place(e, turns, offset);
                  return (
                    <button
                      key={e.turn}
                      type="button"
                      className="btn btn-link evidence-link"
                      data-testid="evidence-link"
                      data-turn={e.turn}
                      title={`“${e.quote}” (match ${Math.round(e.score * 100)}%)`}
                      onClick={() => onPick(e.turn, p.at)}
                    >
                      {p.label}
                    </button>
                  );
                })
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
