// Small presentational pieces of review: the state badge, tag chips (in the team's colours) and
// the log's review cell. Tag names are user text: rendered as text, the colour only as a CSS value.

import type { CSSProperties } from "react";
import type { ReviewProgress, ReviewState, RowReview, TagDef } from "../../api/types";
import { formatCount } from "../../format";

export const STATE_LABEL: Record<ReviewState, string> = {
  unreviewed: "Unreviewed",
  in_review: "In review",
  reviewed: "Reviewed",
  flagged: "Flagged",
};

const STATE_TONE: Record<ReviewState, string> = {
  unreviewed: "badge-review-none",
  in_review: "badge-amber",
  reviewed: "badge-green",
  flagged: "badge-red",
};

export function ReviewStateBadge({ state, title, compact = false }: { state: ReviewState; title?: string; compact?: boolean }) {
  // In the log most rows are unreviewed: a quiet ring there, words only where something happened.
  if (compact && state === "unreviewed") {
    return (
      <span
        className="review-ring"
        data-testid="review-state"
        data-state={state}
        title={title ?? STATE_LABEL[state]}
        aria-label={STATE_LABEL[state]}
      />
    );
  }
  return (
    <span className={`badge ${STATE_TONE[state]}`} data-testid="review-state" data-state={state} title={title}>
      {STATE_LABEL[state]}
    </span>
  );
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** The team colour of a tag, or a neutral one for a tag not (or no longer) in the list. */
export function tagColor(name: string, tags: TagDef[]): string {
  const c = tags.find((t) => t.name === name)?.color;
  return c && HEX.test(c) ? c : "#868e96";
}

export function TagChip({
  name,
  tags,
  onRemove,
}: {
  name: string;
  tags: TagDef[];
  onRemove?: () => void;
}) {
  return (
    <span className="tag-chip" data-testid="tag-chip" data-tag={name} style={{ "--tag": tagColor(name, tags) } as CSSProperties}>
      <span className="tag-dot" aria-hidden="true" />
      <span className="tag-name">{name}</span>
      {onRemove && (
        <button type="button" className="tag-remove" aria-label={`Remove tag ${name}`} title="Remove" onClick={onRemove}>
          ×
        </button>
      )}
    </span>
  );
}

export function formatScore(score: number | null): string {
  return score === null ? "–" : `${Math.round(score)}%`;
}

/** The log's review column: my state, a flag when anyone flagged, tags, score. */
export function ReviewCell({ review, tags }: { review: RowReview; tags: TagDef[] }) {
  const shown = review.tags.slice(0, 1);
  const more = review.tags.length - shown.length;
  return (
    <span className="review-cell">
      <ReviewStateBadge
        compact
        state={review.my_state}
        title={`${STATE_LABEL[review.my_state]} by me · ${
          review.reviewed_by > 0 ? `reviewed by ${review.reviewed_by}` : "nobody has reviewed it yet"
        }`}
      />
      {review.any_flagged && (
        <span className="flag-mark" data-testid="flag-mark" title="Flagged by a reviewer" aria-label="Flagged">
          ⚑
        </span>
      )}
      {review.score !== null && (
        <span className="score-mark mono" data-testid="row-score" title="Scorecard total">
          {formatScore(review.score)}
        </span>
      )}
      {shown.map((t) => (
        <TagChip key={t} name={t} tags={tags} />
      ))}
      {more > 0 && (
        <span className="dim small" title={review.tags.slice(1).join(", ")}>
          +{more}
        </span>
      )}
    </span>
  );
}

/** "37 of 120 reviewed in this view" */
export function progressText(p: ReviewProgress): string {
  return `${formatCount(p.reviewed)} of ${formatCount(p.total)} reviewed in this view`;
}
