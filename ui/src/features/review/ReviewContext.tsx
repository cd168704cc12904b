// What every review screen shares: who is reviewing (asked once, at the first review action, in a
// small native dialog), the team's tags and scorecards, and the optimistic patches that make a
// log row change in the same frame as the key press. A patch stays until a re-read row agrees
// with it (or the row is gone), so a row beyond the first page, which a refresh does not re-read,
// keeps showing what was written.

import { createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  addTags,
  removeTags,
  setReviewer as saveReviewerCmd,
  setReviewState,
  toAppError,
} from "../../api/client";
import type { CallSummary, Reviewer, ReviewState, RowReview, Scorecard, TagDef } from "../../api/types";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import { useNotify } from "../../app/notify";
import { ReviewerDialog } from "./ReviewerDialog";
import "./review.css";

const NO_TAGS: TagDef[] = [];
const NO_SCORECARDS: Scorecard[] = [];

export const EMPTY_ROW_REVIEW: RowReview = { my_state: "unreviewed", any_flagged: false, reviewed_by: 0, tags: [], score: null };

interface Patch {
  review: Partial<RowReview>;
  /** the write finished; the patch can go once the log agrees */
  done: boolean;
}

export interface ReviewContextValue {
  reviewer: Reviewer | null;
  /** The reviewer, asking for one first when nobody is set; null when the user cancelled. */
  ensureReviewer: () => Promise<Reviewer | null>;
  /** Opens the dialog to change the name or email. */
  editReviewer: () => Promise<Reviewer | null>;
  saveReviewer: (r: Reviewer) => Promise<Reviewer>;
  /**
   * Runs a review action as the reviewer (asking first when needed, and again when the back end
   * answers `no_reviewer`). Failures are shown; resolves undefined when it did not happen.
   */
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  tags: TagDef[];
  setTags: (tags: TagDef[]) => void;
  scorecards: Scorecard[];
  setScorecards: (cards: Scorecard[]) => void;
  patches: ReadonlyMap<number, Patch>;
  /** Optimistic: the rows show the new state at once; reverted if the write fails. */
  markState: (ids: number[], state: ReviewState) => Promise<boolean>;
  /** Optimistic tag change on calls whose current tags are given. */
  changeTags: (calls: { id: number; tags: string[] }[], add: string[], remove: string[]) => Promise<boolean>;
  /** Drop finished patches that the re-read rows now agree with. */
  prune: (rows: CallSummary[]) => void;
}

const noop = () => Promise.resolve(null);
const fallback: ReviewContextValue = {
  reviewer: null,
  ensureReviewer: noop,
  editReviewer: noop,
  saveReviewer: (r) => Promise.resolve(r),
  run: async (action) => {
    try {
      return await action();
    } catch {
      return undefined;
    }
  },
  tags: [],
  setTags: () => undefined,
  scorecards: [],
  setScorecards: () => undefined,
  patches: new Map(),
  markState: () => Promise.resolve(false),
  changeTags: () => Promise.resolve(false),
  prune: () => undefined,
};

const ReviewContext = createContext<ReviewContextValue>(fallback);

export function useReview(): ReviewContextValue {
  return useContext(ReviewContext);
}

/** A row's review with any optimistic patch applied. */
export function rowReview(call: CallSummary, patches: ReadonlyMap<number, Patch>): RowReview {
  const base = call.review;
  const p = patches.get(call.id);
  return p ? { ...base, ...p.review } : base;
}

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");
}

function agrees(row: RowReview, p: Partial<RowReview>): boolean {
  if (p.my_state !== undefined && row.my_state !== p.my_state) return false;
  if (p.tags !== undefined && !sameTags(row.tags, p.tags)) return false;
  return true;
}

export function ReviewProvider({ children }: { children: ReactNode }) {
  const notify = useNotify();
  const reviewer = useApiQuery(queries.reviewer()).data ?? null;
  // Read synchronously by a key press, so it is set the moment a reviewer is known.
  const reviewerRef = useRef<Reviewer | null>(null);
  useLayoutEffect(() => {
    reviewerRef.current = reviewer;
  }, [reviewer]);
  const tags = useApiQuery(queries.tags()).data ?? NO_TAGS;
  const scorecards = useApiQuery(queries.scorecards()).data ?? NO_SCORECARDS;
  const setTags = useCallback((list: TagDef[]) => queryClient.setQueryData(keys.tags, list), []);
  const setScorecards = useCallback((list: Scorecard[]) => queryClient.setQueryData(keys.scorecards, list), []);
  const [patches, setPatches] = useState<ReadonlyMap<number, Patch>>(new Map());
  const [asking, setAsking] = useState<{ initial: Reviewer | null } | null>(null);
  const waiting = useRef<((r: Reviewer | null) => void)[]>([]);

  const setReviewer = useCallback((r: Reviewer | null) => {
    reviewerRef.current = r;
    queryClient.setQueryData(keys.reviewer, r);
  }, []);

  /** The stored reviewer, read once (the same read the hook above makes). */
  const loadReviewer = useCallback(
    () =>
      queryClient.query(queries.reviewer()).then(
        (r) => {
          reviewerRef.current ??= r;
        },
        () => undefined,
      ),
    [],
  );

  const ask = useCallback((initial: Reviewer | null) => {
    setAsking({ initial });
    return new Promise<Reviewer | null>((resolve) => waiting.current.push(resolve));
  }, []);

  const answer = useCallback((r: Reviewer | null) => {
    setAsking(null);
    const list = waiting.current;
    waiting.current = [];
    list.forEach((resolve) => resolve(r));
  }, []);

  const ensureReviewer = useCallback(async () => {
    await loadReviewer();
    return reviewerRef.current ?? ask(null);
  }, [ask, loadReviewer]);

  const editReviewer = useCallback(() => ask(reviewerRef.current), [ask]);

  const saveReviewer = useCallback(
    async (r: Reviewer) => {
      const saved = await saveReviewerCmd(r);
      setReviewer(saved);
      return saved;
    },
    [setReviewer],
  );

  const run = useCallback(
    async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
      if (!(await ensureReviewer())) return undefined;
      try {
        return await action();
      } catch (e) {
        if (toAppError(e).code !== "no_reviewer") {
          notify.error(e);
          return undefined;
        }
      }
      // The back end has nobody (e.g. the settings were reset): ask, then try once more.
      setReviewer(null);
      if (!(await ask(null))) return undefined;
      try {
        return await action();
      } catch (e) {
        notify.error(e);
        return undefined;
      }
    },
    [ask, ensureReviewer, notify, setReviewer],
  );

  const applyPatch = useCallback((ids: number[], review: (id: number) => Partial<RowReview>) => {
    setPatches((old) => {
      const next = new Map(old);
      for (const id of ids) next.set(id, { review: { ...next.get(id)?.review, ...review(id) }, done: false });
      return next;
    });
  }, []);

  const finish = useCallback((ids: number[], ok: boolean, before: ReadonlyMap<number, Patch>) => {
    setPatches((old) => {
      const next = new Map(old);
      for (const id of ids) {
        const p = next.get(id);
        if (!p) continue;
        if (ok) next.set(id, { ...p, done: true });
        else {
          const was = before.get(id);
          if (was) next.set(id, was);
          else next.delete(id);
        }
      }
      return next;
    });
  }, []);

  const patchesRef = useRef(patches);
  useEffect(() => {
    patchesRef.current = patches;
  });

  const markState = useCallback(
    async (ids: number[], state: ReviewState) => {
      if (ids.length === 0) return false;
      // With a reviewer known, the patch is applied before any await: the row changes in this frame.
      if (!reviewerRef.current && !(await ensureReviewer())) return false;
      const before = patchesRef.current;
      applyPatch(ids, () => (state === "flagged" ? { my_state: state, any_flagged: true } : { my_state: state }));
      const ok = (await run(() => setReviewState(ids, state).then(() => true))) === true;
      finish(ids, ok, before);
      return ok;
    },
    [applyPatch, ensureReviewer, finish, run],
  );

  const changeTags = useCallback(
    async (calls: { id: number; tags: string[] }[], add: string[], remove: string[]) => {
      if (calls.length === 0) return false;
      if (!reviewerRef.current && !(await ensureReviewer())) return false;
      const ids = calls.map((c) => c.id);
      const before = patchesRef.current;
      const current = new Map(calls.map((c) => [c.id, c.tags]));
      applyPatch(ids, (id) => {
        const set = new Set(patchesRef.current.get(id)?.review.tags ?? current.get(id) ?? []);
        add.forEach((t) => set.add(t));
        remove.forEach((t) => set.delete(t));
        return { tags: [...set].sort() };
      });
      const ok =
        (await run(async () => {
          if (add.length > 0) await addTags(ids, add);
          if (remove.length > 0) await removeTags(ids, remove);
          return true;
        })) === true;
      finish(ids, ok, before);
      return ok;
    },
    [applyPatch, ensureReviewer, finish, run],
  );

  const prune = useCallback((rows: CallSummary[]) => {
    setPatches((old) => {
      if (old.size === 0) return old;
      const byId = new Map(rows.map((r) => [r.id, r]));
      let next: Map<number, Patch> | null = null;
      for (const [id, p] of old) {
        if (!p.done) continue;
        const row = byId.get(id);
        if (!row || agrees(row.review, p.review)) {
          next ??= new Map(old);
          next.delete(id);
        }
      }
      return next ?? old;
    });
  }, []);

  const value = useMemo<ReviewContextValue>(
    () => ({
      reviewer,
      ensureReviewer,
      editReviewer,
      saveReviewer,
      run,
      tags,
      setTags,
      scorecards,
      setScorecards,
      patches,
      markState,
      changeTags,
      prune,
    }),
    [reviewer, ensureReviewer, editReviewer, saveReviewer, run, tags, setTags, scorecards, setScorecards, patches, markState, changeTags, prune],
  );

  return (
    <ReviewContext.Provider value={value}>
      {children}
      {asking && (
        <ReviewerDialog
          initial={asking.initial}
          onSave={async (r) => {
            try {
              answer(await saveReviewer(r));
            } catch (e) {
              return toAppError(e).message;
            }
            return null;
          }}
          onCancel={() => answer(null)}
        />
      )}
    </ReviewContext.Provider>
  );
}
