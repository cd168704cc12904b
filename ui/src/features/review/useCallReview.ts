// One call's review (states, notes, tags, scores), re-read whenever a "review-changed" event
// names the call. Local edits can be shown at once through `update` until the re-read lands.

import { useCallback, useEffect, useState } from "react";
import { getCallReview, onReviewChanged } from "../../api/client";
import type { CallReview } from "../../api/types";
import { useSubscription } from "../../app/hooks";

export const EMPTY_REVIEW: CallReview = { states: [], notes: [], tags: [], scores: [], assignee: null };

export function useCallReview(id: number) {
  const [loaded, setLoaded] = useState<{ id: number; review: CallReview } | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    getCallReview(id).then(
      (review) => {
        if (!stale) setLoaded({ id, review });
      },
      () => {
        // A back end without review (or none at all) leaves the panels empty; actions say why.
        if (!stale) setLoaded((l) => (l?.id === id ? l : { id, review: EMPTY_REVIEW }));
      },
    );
    return () => {
      stale = true;
    };
  }, [id, tick]);

  useSubscription(onReviewChanged, (p) => {
    if (p.call_ids.includes(id)) setTick((n) => n + 1);
  });

  const reload = useCallback(() => setTick((n) => n + 1), []);
  const update = useCallback(
    (f: (r: CallReview) => CallReview) => setLoaded((l) => (l && l.id === id ? { id, review: f(l.review) } : l)),
    [id],
  );
  const review = loaded?.id === id ? loaded.review : null;
  return { review, reload, update };
}
