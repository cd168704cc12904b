// Scorecard arithmetic shared by the scorecard panel (a preview before saving) and the demo back
// end: each answered question contributes its share (yes = 1, a scale of 1–5 evenly, the first
// choice best), weighted; unanswered questions are left out of the total.

import type { Question, ScoreAnswer, Scorecard } from "../../api/types";

/** One answer's share of its question, 0..1 (null when unanswered). */
export function answerFraction(q: Question, v: ScoreAnswer["value"] | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (q.kind === "yes_no") return v === true ? 1 : v === false ? 0 : null;
  if (q.kind === "scale") return typeof v === "number" ? Math.min(1, Math.max(0, (v - 1) / 4)) : null;
  const i = q.choices.indexOf(String(v));
  if (i < 0) return null;
  return q.choices.length > 1 ? 1 - i / (q.choices.length - 1) : 1;
}

/** Weighted percent over the answered questions; null when none is answered. */
export function scoreTotal(card: Scorecard, answers: Record<string, ScoreAnswer>): number | null {
  let got = 0;
  let weight = 0;
  for (const q of card.questions) {
    const f = answerFraction(q, answers[q.id]?.value);
    if (f === null || q.weight <= 0) continue;
    got += f * q.weight;
    weight += q.weight;
  }
  return weight > 0 ? Math.round((got / weight) * 100) : null;
}

