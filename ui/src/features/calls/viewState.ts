// The call log's filters and sort: what the user picks, how it maps onto `CallQuery`, and how
// it is persisted (through the back end's view state) and read back defensively.

import type { CallQuery, Json, ReviewState, SortKey, SortOrder, VarFilter, VarOp } from "../../api/types";

export type Objective = "any" | "yes" | "no";

/** The review filters offered; "mine" ones are the current reviewer's own state. */
export const REVIEW_FILTERS = {
  any: { label: "Review: any", state: null, mine: false },
  mine_unreviewed: { label: "Mine unreviewed", state: "unreviewed", mine: true },
  mine_in_review: { label: "In review by me", state: "in_review", mine: true },
  mine_reviewed: { label: "Reviewed by me", state: "reviewed", mine: true },
  mine_flagged: { label: "Flagged by me", state: "flagged", mine: true },
  anyone_flagged: { label: "Flagged by anyone", state: "flagged", mine: false },
  anyone_reviewed: { label: "Reviewed by anyone", state: "reviewed", mine: false },
  nobody: { label: "Reviewed by nobody", state: "unreviewed", mine: false },
} as const satisfies Record<string, { label: string; state: ReviewState | null; mine: boolean }>;

export type ReviewFilter = keyof typeof REVIEW_FILTERS;

const VAR_OPS: VarOp[] = ["eq", "contains", "gt", "gte", "lt", "lte", "is_true", "is_false", "missing"];

export interface Filters {
  statuses: string[];
  /** local dates "YYYY-MM-DD", "" when open */
  from: string;
  to: string;
  objective: Objective;
  /** "" for any campaign */
  campaign: string;
  hasRecording: boolean;
  phone: string;
  recoveredOnly: boolean;
  review: ReviewFilter;
  /** calls carrying every one of these */
  tags: string[];
  vars: VarFilter[];
}

export interface ViewState {
  filters: Filters;
  sort: SortKey;
  order: SortOrder;
}

export const emptyFilters: Filters = {
  statuses: [],
  from: "",
  to: "",
  objective: "any",
  campaign: "",
  hasRecording: false,
  phone: "",
  recoveredOnly: false,
  review: "any",
  tags: [],
  vars: [],
};

export const defaultViewState: ViewState = { filters: emptyFilters, sort: "time", order: "desc" };

/** Start of a local calendar day, Unix ms; null when the text is not a date. */
export function localDayStart(date: string, plusDays = 0): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}

export function activeFilterCount(f: Filters): number {
  return (
    (f.statuses.length > 0 ? 1 : 0) +
    (f.from || f.to ? 1 : 0) +
    (f.objective !== "any" ? 1 : 0) +
    (f.campaign ? 1 : 0) +
    (f.hasRecording ? 1 : 0) +
    (f.phone.trim() ? 1 : 0) +
    (f.recoveredOnly ? 1 : 0) +
    (f.review !== "any" ? 1 : 0) +
    (f.tags.length > 0 ? 1 : 0) +
    f.vars.length
  );
}

/** The query for list_calls / count_calls. The "to" date is inclusive for the user. */
export function toCallQuery(view: ViewState, search = "", reviewer: string | null = null): CallQuery {
  const f = view.filters;
  const q: CallQuery = { sort: view.sort, order: view.order };
  const s = search.trim();
  if (s) q.search = s;
  if (f.statuses.length > 0) q.statuses = [...f.statuses];
  const from = localDayStart(f.from);
  if (from !== null) q.from_ms = from;
  const to = localDayStart(f.to, 1);
  if (to !== null) q.to_ms = to;
  if (f.objective !== "any") q.objective = f.objective === "yes";
  if (f.campaign) q.campaign = f.campaign;
  if (f.hasRecording) q.has_recording = true;
  const phone = f.phone.trim();
  if (phone) q.phone = phone;
  if (f.recoveredOnly) q.recovered = true;
  const review = REVIEW_FILTERS[f.review];
  if (review.state !== null) {
    q.review_state = review.state;
    if (review.mine) q.reviewer = reviewer;
  }
  if (f.tags.length > 0) q.tags = [...f.tags];
  if (f.vars.length > 0) q.vars = f.vars.map((v) => ({ ...v }));
  return q;
}

export function viewStateToJson(v: ViewState): Json {
  return {
    version: 1,
    sort: v.sort,
    order: v.order,
    filters: {
      ...v.filters,
      statuses: [...v.filters.statuses],
      tags: [...v.filters.tags],
      vars: v.filters.vars.map((x) => ({ name: x.name, op: x.op, value: x.value ?? null })),
    },
  };
}

function str(o: { [key: string]: Json }, key: string): string {
  const v = o[key];
  return typeof v === "string" ? v : "";
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Read persisted state back; anything unknown or malformed falls back to the default. */
export function viewStateFromJson(json: Json | null): ViewState {
  if (!isObject(json)) return defaultViewState;
  const sort: SortKey = json.sort === "duration" ? "duration" : "time";
  const order: SortOrder = json.order === "asc" ? "asc" : "desc";
  const fj = json.filters;
  if (!isObject(fj)) return { filters: emptyFilters, sort, order };
  const statuses = Array.isArray(fj.statuses)
    ? fj.statuses.filter((s): s is string => typeof s === "string")
    : [];
  const objective = fj.objective === "yes" || fj.objective === "no" ? fj.objective : "any";
  const date = (k: string) => (localDayStart(str(fj, k)) !== null ? str(fj, k) : "");
  return {
    sort,
    order,
    filters: {
      statuses,
      from: date("from"),
      to: date("to"),
      objective,
      campaign: str(fj, "campaign"),
      hasRecording: fj.hasRecording === true,
      phone: str(fj, "phone"),
      recoveredOnly: fj.recoveredOnly === true,
      review: typeof fj.review === "string" && Object.prototype.hasOwnProperty.call(REVIEW_FILTERS, fj.review) ? (fj.review as ReviewFilter) : "any",
      tags: Array.isArray(fj.tags) ? fj.tags.filter((t): t is string => typeof t === "string") : [],
      vars: Array.isArray(fj.vars) ? fj.vars.flatMap(varFromJson) : [],
    },
  };
}

function varFromJson(v: Json): VarFilter[] {
  if (!isObject(v) || typeof v.name !== "string" || typeof v.op !== "string") return [];
  const op = VAR_OPS.find((o) => o === v.op);
  if (!op) return [];
  return [{ name: v.name, op, value: typeof v.value === "string" ? v.value : null }];
}
