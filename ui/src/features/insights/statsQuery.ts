// The dashboard's query from the call log's filters and search, and the line that says which of
// them the figures follow. Every filter of the log applies: the date range, statuses and campaign
// are read from the summary tables; the search, tags, review state and the other filters make the
// back end count the calls the log shows, from their rows. Days are this computer's local days on
// both sides (the back end keys its tallies by them), so `from`/`to` go as the log's own strings.

import type { StatsQuery } from "../../api/types";
import { REVIEW_FILTERS, type Filters } from "../calls/viewState";

/** `reviewer`: the current reviewer's email, for the "… by me" review filters. */
export function statsQuery(f: Filters, search: string, reviewer: string | null): StatsQuery {
  const q: StatsQuery = {
    from: f.from || null,
    to: f.to || null,
    campaign: f.campaign || null,
    statuses: f.statuses,
  };
  const s = search.trim();
  if (s) q.search = s;
  if (f.tags.length > 0) q.tags = [...f.tags];
  const review = REVIEW_FILTERS[f.review];
  if (review.state !== null) {
    q.review_state = review.state;
    if (review.mine) q.reviewer = reviewer;
  }
  if (f.objective !== "any") q.objective = f.objective === "yes";
  if (f.hasRecording) q.has_recording = true;
  const phone = f.phone.trim();
  if (phone) q.phone = phone;
  if (f.recoveredOnly) q.recovered = true;
  if (f.vars.length > 0) q.vars = f.vars.map((v) => ({ ...v }));
  return q;
}

const OPS: Record<string, string> = { eq: "=", contains: "contains", gt: ">", gte: "≥", lt: "<", lte: "≤" };

/** "Calls matching “refund” · 2025-03-01 to … · campaign Spring · tag upsell", or "All calls". */
export function followedFilters(q: StatsQuery, f: Filters): string {
  const parts = [
    q.search ? `Calls matching “${q.search}”` : null,
    q.from || q.to ? `${q.from ?? "…"} to ${q.to ?? "…"}` : null,
    q.statuses && q.statuses.length > 0 ? q.statuses.join(", ") : null,
    q.campaign ? `campaign ${q.campaign}` : null,
    ...(q.tags ?? []).map((t) => `tag ${t}`),
    q.review_state ? REVIEW_FILTERS[f.review].label.replace(/^Review: /, "") : null,
    q.objective === true ? "objective achieved" : q.objective === false ? "objective not achieved" : null,
    q.has_recording ? "with a recording" : null,
    q.phone ? `phone ${q.phone}` : null,
    q.recovered ? "recovered" : null,
    ...(q.vars ?? []).map((v) =>
      v.op === "is_true" ? `${v.name} is true` : v.op === "is_false" ? `${v.name} is false` : v.op === "missing" ? `${v.name} missing` : `${v.name} ${OPS[v.op] ?? v.op} ${v.value ?? ""}`,
    ),
  ].filter((x): x is string => x !== null);
  if (parts.length === 0) return "All calls";
  return q.search ? parts.join(" · ") : `Calls with ${parts.join(" · ")}`;
}
