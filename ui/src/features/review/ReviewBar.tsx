// The open call's review bar: my state (R marks reviewed, Shift+R also opens the next unreviewed
// call of the log's filter), flag, tags, the queue's progress, notes (N) and a link to this moment.
// Keys are ignored while typing, and j/k step through the log's order.

import type { ReviewProgress, ReviewState, ReviewStateEntry } from "../../api/types";
import { isTypingTarget, useWindowKeys } from "../../app/hooks";
import { CopyButton } from "../../components/CopyButton";
import { progressText, ReviewStateBadge, STATE_LABEL } from "./ReviewBadges";
import { TagEditor } from "./TagEditor";

/** `postcall://call/<id>?t=<seconds>` (no time when there is nothing to play). */
export function callLink(id: number, seconds: number | null): string {
  return seconds === null ? `postcall://call/${id}` : `postcall://call/${id}?t=${Math.max(0, Math.floor(seconds))}`;
}

export interface ReviewKeys {
  mark: () => void;
  markAndNext: () => void;
  note: () => void;
  step?: (dir: 1 | -1) => void;
}

export function useReviewKeys(keys: ReviewKeys, enabled = true): void {
  useWindowKeys((e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    if (isTypingTarget(e.target)) return;
    const key = e.key.toLowerCase();
    if (key === "r") {
      e.preventDefault();
      if (e.shiftKey) keys.markAndNext();
      else keys.mark();
    } else if (key === "n" && !e.shiftKey) {
      e.preventDefault();
      keys.note();
    } else if ((key === "j" || key === "k") && !e.shiftKey && keys.step) {
      e.preventDefault();
      keys.step(key === "j" ? 1 : -1);
    }
  }, enabled);
}

interface Props {
  callId: number;
  /** my state; null while the call's review is loading */
  state: ReviewState | null;
  others: ReviewStateEntry[];
  tags: string[];
  progress: ReviewProgress | null;
  /** playback time for the link, null without a player */
  linkTime: () => number | null;
  onState: (s: ReviewState) => void;
  onNext: (() => void) | null;
  onNote: () => void;
  onTags: (add: string[], remove: string[]) => void;
}

export function ReviewBar({ callId, state, others, tags, progress, linkTime, onState, onNext, onNote, onTags }: Props) {
  return (
    <div className="review-bar" data-testid="review-bar">
      <div className="review-bar-row">
        {state === null ? (
          <span className="badge badge-review-none" aria-busy="true">
            …
          </span>
        ) : (
          <ReviewStateBadge state={state} />
        )}
        <button
          type="button"
          className={`btn btn-small${state === "reviewed" ? "" : " btn-primary"}`}
          data-testid="mark-reviewed"
          title="Mark reviewed (R); Shift+R also opens the next unreviewed call"
          onClick={() => onState("reviewed")}
        >
          {state === "reviewed" ? "✓ Reviewed" : "Mark reviewed"}
        </button>
        <button
          type="button"
          className={`btn btn-small${state === "flagged" ? " btn-flagged" : ""}`}
          data-testid="flag"
          aria-pressed={state === "flagged"}
          title={state === "flagged" ? "Remove my flag" : "Flag this call for the team"}
          onClick={() => onState(state === "flagged" ? "unreviewed" : "flagged")}
        >
          ⚑ {state === "flagged" ? "Flagged" : "Flag"}
        </button>
        <select
          className="select select-small"
          aria-label="Set my review state"
          value=""
          onChange={(e) => {
            if (e.target.value) onState(e.target.value as ReviewState);
          }}
        >
          <option value="">State…</option>
          {(["unreviewed", "in_review", "reviewed", "flagged"] as ReviewState[]).map((s) => (
            <option key={s} value={s} disabled={s === state}>
              {STATE_LABEL[s]}
            </option>
          ))}
        </select>
        <TagEditor tags={tags} onChange={onTags} />
        <span className="spacer" />
        <button type="button" className="btn btn-small" data-testid="note-add" title="Add a note at this moment (N)" onClick={onNote}>
          + Note
        </button>
        <CopyButton
          text={() => callLink(callId, linkTime())}
          label="Copy link"
          className="btn btn-small"
          testId="copy-link"
        />
      </div>
      <div className="review-bar-row review-bar-sub small">
        {others.length > 0 ? (
          <span className="dim" data-testid="other-states">
            {others.map((o) => `${STATE_LABEL[o.state]} by ${o.reviewer_name || o.reviewer}`).join(" · ")}
          </span>
        ) : (
          <span className="dim">No one else has reviewed this call.</span>
        )}
        <span className="spacer" />
        {progress && progress.total > 0 && <span className="dim">{progressText(progress)}</span>}
        {onNext && (
          <button
            type="button"
            className="btn btn-small"
            data-testid="next-unreviewed"
            title="Open the next unreviewed call in the log's filter"
            onClick={onNext}
          >
            Next unreviewed →
          </button>
        )}
        <span className="dim review-keys" aria-hidden="true">
          <kbd>R</kbd> reviewed <kbd>⇧R</kbd> and next <kbd>N</kbd> note <kbd>j</kbd>/<kbd>k</kbd> log
        </span>
      </div>
    </div>
  );
}
