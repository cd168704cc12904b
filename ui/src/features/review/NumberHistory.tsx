// Every other call with the same customer phone, newest first, with my review state of each:
// what happened the last times this person was called. A click opens that call.

import { queries, useApiQuery } from "../../api/queries";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDateTime, formatDuration } from "../../format";
import { ReviewStateBadge, TagChip } from "./ReviewBadges";
import { rowReview, useReview } from "./ReviewContext";

export function NumberHistory({ callId, phone, onOpen }: { callId: number; phone: string | null; onOpen: (id: number) => void }) {
  const { patches, tags } = useReview();
  const history = useApiQuery({ ...queries.numberHistory(callId), enabled: !!phone });

  if (!phone) return null;
  const list = history.isError ? [] : (history.data ?? null);
  return (
    <section className="card" data-testid="number-history">
      <h2>Other calls with this number</h2>
      {list === null ? (
        <p className="dim small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="dim small">No other calls with {phone}.</p>
      ) : (
        <ul className="history">
          {list.map((c) => {
            const r = rowReview(c, patches);
            return (
              <li key={c.id}>
                <button type="button" className="history-item" data-testid="history-call" data-call-id={c.id} onClick={() => onOpen(c.id)}>
                  <span className="history-time">{formatDateTime(c.created_at_ms)}</span>
                  <StatusBadge status={c.status} />
                  <span className="mono dim">{formatDuration(c.duration)}</span>
                  <ReviewStateBadge state={r.my_state} />
                  {r.any_flagged && r.my_state !== "flagged" && (
                    <span className="flag-mark" title="Flagged by a reviewer">
                      ⚑
                    </span>
                  )}
                  {r.tags.map((t) => (
                    <TagChip key={t} name={t} tags={tags} />
                  ))}
                  {c.summary && <span className="history-summary dim">{c.summary}</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
