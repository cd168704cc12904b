// The review half of the demo back end: reviewer, reviewed states, notes, tags, scorecards and
// the log filters on them, held in memory with the same commands, errors and "review-changed"
// events as the real app. It keeps the projected state directly (no event log): the demo only
// has to behave like the back end from the window's side of the IPC.

import { scoreTotal } from "../features/review/score";
import { CommandError } from "./client";
import type {
  CallDetail,
  CallQuery,
  CallReview,
  CallSummary,
  Json,
  Note,
  Question,
  Reviewer,
  ReviewState,
  RowReview,
  Score,
  ScoreAnswer,
  Scorecard,
  TagDef,
  VarFilter,
  VariableKind,
  VariableName,
} from "./types";

export interface DemoReviewCall {
  summary: CallSummary;
  detail: CallDetail;
}

interface Options {
  calls: DemoReviewCall[];
  emit: (event: string, payload: unknown) => void;
  /** the calls of a query in the log's order, review filters included */
  sorted: (q: CallQuery) => CallSummary[];
  reviewer: Reviewer | null;
}

const STATES: ReviewState[] = ["unreviewed", "in_review", "reviewed", "flagged"];
const OTHER: Reviewer = { name: "Dana Reyes", email: "dana@example.com" };

interface StateEntry {
  reviewer: Reviewer;
  state: ReviewState;
  at: string;
}

function variable(d: CallDetail, name: string): Json | undefined {
  if (name in d.extracted_variables) return d.extracted_variables[name];
  if (name in d.input_variables) return d.input_variables[name];
  return undefined;
}

/** A variable's value as text, for comparisons. */
function asText(v: Json): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** An argument that should be a string. */
function argText(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function prefill(q: Question, v: Json | undefined): ScoreAnswer["value"] {
  if (v === undefined || v === null) return null;
  if (q.kind === "yes_no") {
    if (typeof v === "boolean") return v;
    const s = asText(v).toLowerCase();
    return ["yes", "true", "achieved"].includes(s) ? true : ["no", "false"].includes(s) ? false : null;
  }
  if (q.kind === "scale") {
    const n = Number(v);
    return Number.isFinite(n) ? Math.min(5, Math.max(1, Math.round(n))) : null;
  }
  return q.choices.find((c) => c.toLowerCase() === asText(v).toLowerCase()) ?? null;
}

function matchVar(d: CallDetail, f: VarFilter): boolean {
  const v = variable(d, f.name);
  const want = f.value ?? "";
  switch (f.op) {
    case "missing":
      return v === undefined || v === null;
    case "is_true":
      return v === true || v === "true";
    case "is_false":
      return v === false || v === "false";
    case "eq":
      return v !== undefined && v !== null && asText(v).toLowerCase() === want.toLowerCase();
    case "contains":
      return v !== undefined && v !== null && JSON.stringify(v).toLowerCase().includes(want.toLowerCase());
    default: {
      const n = Number(v);
      const w = Number(want);
      if (v === null || v === undefined || v === "" || !Number.isFinite(n) || !Number.isFinite(w)) return false;
      return f.op === "gt" ? n > w : f.op === "gte" ? n >= w : f.op === "lt" ? n < w : n <= w;
    }
  }
}

export function createDemoReview({ calls, emit, sorted, reviewer: initialReviewer }: Options) {
  let reviewer = initialReviewer;
  const states = new Map<number, Map<string, StateEntry>>();
  const notes = new Map<number, Note[]>();
  const callTags = new Map<number, Set<string>>();
  const scores = new Map<number, Map<string, Score>>();
  let tagDefs: { name: string; color: string }[] = [
    { name: "follow-up", color: "#e8590c" },
    { name: "great call", color: "#2f9e44" },
    { name: "compliance", color: "#c92a2a" },
    { name: "training", color: "#3b5bdb" },
  ];
  let scorecards: Scorecard[] = [
    {
      id: "quality",
      name: "Call quality",
      questions: [
        { id: "objective", label: "Objective achieved", kind: "yes_no", choices: [], weight: 2, variable: "status" },
        { id: "greeting", label: "Greeting and tone", kind: "scale", choices: [], weight: 1, variable: null },
        { id: "outcome", label: "Outcome", kind: "choice", choices: ["booked", "callback", "lost"], weight: 1, variable: null },
      ],
    },
  ];
  let noteSeq = 1;
  const at = () => new Date().toISOString();
  const find = (id: unknown): DemoReviewCall => {
    const c = calls.find((x) => x.summary.id === id);
    if (!c) throw new CommandError("not_found", `Call #${String(id)} is not in the database.`);
    return c;
  };
  const me = (): Reviewer => {
    if (!reviewer) throw new CommandError("no_reviewer", "Say who you are first: your name and email sign your reviews.");
    return reviewer;
  };
  const changed = (ids: number[]) => setTimeout(() => emit("review-changed", { call_ids: ids, definitions: false }), 30);
  const setState = (id: number, who: Reviewer, state: ReviewState) => {
    const m = states.get(id) ?? new Map<string, StateEntry>();
    m.set(who.email, { reviewer: who, state, at: at() });
    states.set(id, m);
  };

  // A little history to look at: another reviewer's work, tags, a note, calls from one number.
  calls.forEach((c, i) => {
    const id = c.summary.id;
    if (i % 5 === 1) setState(id, OTHER, "reviewed");
    if (i % 11 === 4) setState(id, OTHER, "flagged");
    if (i % 6 === 2) callTags.set(id, new Set(["follow-up"]));
    if (i % 13 === 0) callTags.set(id, new Set(["great call", "training"]));
  });
  const first = calls[0];
  if (first) {
    for (const i of [4, 13, 21]) {
      const c = calls[i];
      if (!c) continue;
      c.summary = { ...c.summary, customer_phone: first.summary.customer_phone };
      c.detail = { ...c.detail, customer_phone: first.summary.customer_phone };
    }
    notes.set(first.summary.id, [
      {
        id: "0190-demo-note",
        author: OTHER.email,
        author_name: OTHER.name,
        text: "Listen from here: the customer asks for an SMS reminder.",
        turn: 3,
        at_seconds: first.detail.transcript[3]?.offset_seconds ?? null,
        created_at: at(),
        edited_at: null,
      },
    ]);
  }

  const stateOf = (id: number, email: string | null): ReviewState =>
    (email ? states.get(id)?.get(email)?.state : undefined) ?? "unreviewed";
  const myScore = (id: number): number | null => {
    const all = [...(scores.get(id)?.values() ?? [])];
    const mine = reviewer ? all.find((s) => s.reviewer === reviewer?.email) : undefined;
    return (mine ?? all[0])?.total ?? null;
  };

  const rowReview = (id: number): RowReview => {
    const entries = [...(states.get(id)?.values() ?? [])];
    return {
      my_state: stateOf(id, reviewer?.email ?? null),
      any_flagged: entries.some((e) => e.state === "flagged"),
      reviewed_by: entries.filter((e) => e.state === "reviewed" || e.state === "flagged").length,
      tags: [...(callTags.get(id) ?? [])].sort(),
      score: myScore(id),
    };
  };

  const matches = (c: DemoReviewCall, q: CallQuery): boolean => {
    const id = c.summary.id;
    if (q.tags && q.tags.length > 0) {
      const have = callTags.get(id);
      if (!q.tags.every((t) => have?.has(t))) return false;
    }
    if (q.review_state) {
      const entries = [...(states.get(id)?.values() ?? [])];
      if (q.reviewer) {
        if (stateOf(id, q.reviewer) !== q.review_state) return false;
      } else if (q.review_state === "unreviewed") {
        if (entries.some((e) => e.state === "reviewed" || e.state === "flagged")) return false;
      } else if (!entries.some((e) => e.state === q.review_state)) {
        return false;
      }
    }
    for (const f of q.vars ?? []) if (!matchVar(c.detail, f)) return false;
    return true;
  };

  const decorate = (s: CallSummary): CallSummary => ({ ...s, review: rowReview(s.id) });

  const tagList = (): TagDef[] =>
    tagDefs.map((t) => ({ ...t, count: [...callTags.values()].filter((set) => set.has(t.name)).length }));

  const review = (id: number): CallReview => ({
    states: [...(states.get(id)?.values() ?? [])].map((e) => ({
      reviewer: e.reviewer.email,
      reviewer_name: e.reviewer.name,
      state: e.state,
      at: e.at,
    })),
    notes: structuredClone(notes.get(id) ?? []),
    tags: [...(callTags.get(id) ?? [])].sort(),
    scores: structuredClone([...(scores.get(id)?.values() ?? [])]),
    assignee: null,
  });

  const ids = (a: Record<string, unknown>): number[] => {
    const list = Array.isArray(a.ids) ? (a.ids as unknown[]).map(Number) : [];
    list.forEach((id) => find(id));
    return list;
  };
  const tagNames = (a: Record<string, unknown>): string[] => {
    const list = Array.isArray(a.tags) ? (a.tags as unknown[]).map(String) : [];
    for (const t of list)
      if (!tagDefs.some((d) => d.name === t))
        throw new CommandError("unknown_tag", `There is no tag “${t}”. Add it in Settings → Tags first.`);
    return list;
  };
  const findNote = (id: number, noteId: unknown): Note => {
    const n = notes.get(id)?.find((x) => x.id === noteId);
    if (!n) throw new CommandError("not_found", "That note is not on this call any more.");
    if (n.author !== me().email) throw new CommandError("invalid", "Only the author of a note can change it.");
    return n;
  };
  const card = (id: unknown): Scorecard => {
    const sc = scorecards.find((s) => s.id === id);
    if (!sc) throw new CommandError("not_found", `There is no scorecard “${String(id)}”.`);
    return sc;
  };

  const handlers: Record<string, (a: Record<string, unknown>) => unknown> = {
    get_reviewer: () => reviewer,
    set_reviewer: (a) => {
      const r = a.reviewer as Reviewer;
      const name = argText(r.name).trim();
      const email = argText(r.email).trim();
      if (!name || !/^[^\s@]+@[^\s@]+$/.test(email))
        throw new CommandError("invalid", "Give a name and an email address like sam@example.com.");
      reviewer = { name, email };
      return reviewer;
    },
    get_call_review: (a) => review(find(a.id).summary.id),
    set_review_state: (a) => {
      const who = me();
      const state = a.state as ReviewState;
      if (!STATES.includes(state)) throw new CommandError("invalid", `Unknown review state ${state}.`);
      const list = ids(a);
      list.forEach((id) => setState(id, who, state));
      changed(list);
      return null;
    },
    add_note: (a) => {
      const who = me();
      const id = find(a.id).summary.id;
      const text = argText(a.text).trim();
      if (!text) throw new CommandError("invalid", "A note needs some text.");
      const note: Note = {
        id: `0190-demo-${noteSeq++}`,
        author: who.email,
        author_name: who.name,
        text,
        turn: typeof a.turn === "number" ? a.turn : null,
        at_seconds: typeof a.atSeconds === "number" ? a.atSeconds : null,
        created_at: at(),
        edited_at: null,
      };
      notes.set(id, [...(notes.get(id) ?? []), note]);
      changed([id]);
      return note;
    },
    edit_note: (a) => {
      const id = find(a.id).summary.id;
      const n = findNote(id, a.noteId);
      const text = argText(a.text).trim();
      if (!text) throw new CommandError("invalid", "A note needs some text.");
      n.text = text;
      n.edited_at = at();
      changed([id]);
      return { ...n };
    },
    delete_note: (a) => {
      const id = find(a.id).summary.id;
      const n = findNote(id, a.noteId);
      notes.set(id, (notes.get(id) ?? []).filter((x) => x !== n));
      changed([id]);
      return null;
    },
    add_tags: (a) => {
      me();
      const tags = tagNames(a);
      const list = ids(a);
      for (const id of list) {
        const set = callTags.get(id) ?? new Set<string>();
        tags.forEach((t) => set.add(t));
        callTags.set(id, set);
      }
      changed(list);
      return null;
    },
    remove_tags: (a) => {
      me();
      const tags = tagNames(a);
      const list = ids(a);
      for (const id of list) tags.forEach((t) => callTags.get(id)?.delete(t));
      changed(list);
      return null;
    },
    list_tags: () => tagList(),
    save_tag: (a) => {
      const name = argText(a.name).trim();
      const color = argText(a.color);
      if (!name) throw new CommandError("invalid", "A tag needs a name.");
      if (!/^#[0-9a-f]{6}$/i.test(color)) throw new CommandError("invalid", "A tag's colour is #rrggbb.");
      const i = tagDefs.findIndex((t) => t.name === name);
      if (i >= 0) tagDefs[i] = { name, color };
      else tagDefs = [...tagDefs, { name, color }];
      return tagList();
    },
    delete_tag: (a) => {
      const name = String(a.name);
      tagDefs = tagDefs.filter((t) => t.name !== name);
      const touched: number[] = [];
      for (const [id, set] of callTags) if (set.delete(name)) touched.push(id);
      if (touched.length > 0) changed(touched);
      return tagList();
    },
    list_scorecards: () => structuredClone(scorecards),
    save_scorecard: (a) => {
      const sc = structuredClone(a.scorecard as Scorecard);
      if (!sc.name.trim()) throw new CommandError("invalid", "A scorecard needs a name.");
      const i = scorecards.findIndex((s) => s.id === sc.id);
      if (i >= 0) scorecards[i] = sc;
      else scorecards = [...scorecards, sc];
      return structuredClone(scorecards);
    },
    delete_scorecard: (a) => {
      scorecards = scorecards.filter((s) => s.id !== a.id);
      return structuredClone(scorecards);
    },
    set_score: (a) => {
      const who = me();
      const id = find(a.id).summary.id;
      const sc = card(a.scorecard);
      const answers = structuredClone(a.answers as Record<string, ScoreAnswer>);
      const score: Score = {
        reviewer: who.email,
        reviewer_name: who.name,
        scorecard: sc.id,
        total: scoreTotal(sc, answers),
        answers,
        at: new Date().toISOString(),
      };
      const m = scores.get(id) ?? new Map<string, Score>();
      m.set(`${who.email} ${sc.id}`, score);
      scores.set(id, m);
      changed([id]);
      return score;
    },
    prefill_score: (a) => {
      const d = find(a.id).detail;
      const sc = card(a.scorecard);
      const out: Record<string, ScoreAnswer> = {};
      for (const q of sc.questions) {
        if (!q.variable) continue;
        const value = prefill(q, variable(d, q.variable));
        if (value !== null) out[q.id] = { value, prefilled: true };
      }
      return out;
    },
    number_history: (a) => {
      const c = find(a.id);
      const phone = c.summary.customer_phone;
      if (!phone) return [];
      return calls
        .filter((x) => x.summary.id !== c.summary.id && x.summary.customer_phone === phone)
        .map((x) => decorate(x.summary))
        .sort((x, y) => (y.created_at_ms ?? 0) - (x.created_at_ms ?? 0));
    },
    review_progress: (a) => {
      const rows = sorted(a.query as CallQuery);
      const email = reviewer?.email ?? null;
      const done = rows.filter((r) => ["reviewed", "flagged"].includes(stateOf(r.id, email))).length;
      return { total: rows.length, reviewed: done };
    },
    next_unreviewed: (a) => {
      const q = a.query as CallQuery;
      const rows = sorted(q);
      const email = reviewer?.email ?? null;
      const open = (r: CallSummary) => !["reviewed", "flagged"].includes(stateOf(r.id, email));
      let start = 0;
      if (typeof a.after === "number") {
        const i = rows.findIndex((r) => r.id === a.after);
        if (i >= 0) start = i + 1;
        else {
          // The call left the filter (e.g. "mine unreviewed" once reviewed): continue from its place.
          const after = calls.find((x) => x.summary.id === a.after)?.summary;
          const all = sorted({ ...q, tags: [], review_state: null, vars: [] });
          const pos = after ? all.findIndex((r) => r.id === after.id) : -1;
          const later = new Set(all.slice(pos + 1).map((r) => r.id));
          start = rows.findIndex((r) => later.has(r.id));
          if (start < 0) return null;
        }
      }
      return rows.slice(start).find(open)?.id ?? null;
    },
    variable_names: (): VariableName[] => {
      const kinds = new Map<string, VariableKind>();
      for (const c of calls) {
        for (const vars of [c.detail.extracted_variables, c.detail.input_variables]) {
          for (const [k, v] of Object.entries(vars)) {
            if (v === null || typeof v === "object" || kinds.has(k)) continue;
            kinds.set(k, typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "text");
          }
        }
      }
      return [...kinds].map(([name, kind]) => ({ name, kind })).sort((x, y) => x.name.localeCompare(y.name));
    },
  };

  return { handlers, matches, decorate };
}
