// The call log's filters and sort: what the user picks, how it maps onto `CallQuery`, and how
// it is persisted (through the back end's view state) and read back defensively.

import type { CallQuery, Json, SortKey, SortOrder } from "../../api/types";

export type Objective = "any" | "yes" | "no";

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
    (f.recoveredOnly ? 1 : 0)
  );
}

/** The query for list_calls / count_calls. The "to" date is inclusive for the user. */
export function toCallQuery(view: ViewState, search = ""): CallQuery {
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
  return q;
}

export function viewStateToJson(v: ViewState): Json {
  return {
    version: 1,
    sort: v.sort,
    order: v.order,
    filters: { ...v.filters, statuses: [...v.filters.statuses] },
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
    },
  };
}
