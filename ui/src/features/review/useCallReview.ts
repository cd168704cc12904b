// One call's review (states, notes, tags, scores), re-read whenever a "review-changed" event
// names the call. Local edits can be shown at once through `update` until the re-read lands.

import { useCallback } from "react";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import type { CallReview } from "../../api/types";

export const EMPTY_REVIEW: CallReview = { states: [], notes: [], tags: [], scores: [], assignee: null };

export function useCallReview(id: number) {
  const query = useApiQuery(queries.callReview(id));
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.callReview(id) }), [id]);
  const update = useCallback(
    (f: (r: CallReview) => CallReview) => queryClient.setQueryData<CallReview>(keys.callReview(id), (r) => (r ? f(r) : r)),
    [id],
  );
  // A back end without review (or none at all) leaves the panels empty; actions say why.
  const review = query.data ?? (query.isError ? EMPTY_REVIEW : null);
  return { review, reload, update };
}
