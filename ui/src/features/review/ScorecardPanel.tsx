// Filling a scorecard for one call. My saved answers, else answers pre-filled from the call's
// variables (marked "pre-filled" until a person confirms or changes them). Every change is saved
// at once; the total is the back end's, with a local preview while it saves. Teammates' totals
// are listed below.

import { useMemo, useState } from "react";
import { setScore } from "../../api/client";
import { queries, useApiQuery } from "../../api/queries";
import type { CallReview, Question, ScoreAnswer, ScoreValue } from "../../api/types";
import { formatScore } from "./ReviewBadges";
import { useReview } from "./ReviewContext";
import { scoreTotal } from "./score";

interface Props {
  callId: number;
  review: CallReview | null;
  onSaved: () => void;
}

function AnswerInput({
  q,
  value,
  onChange,
}: {
  q: Question;
  value: ScoreValue | null;
  onChange: (v: ScoreValue) => void;
}) {
  if (q.kind === "yes_no") {
    return (
      <div className="segmented" role="group" aria-label={q.label}>
        {[true, false].map((v) => (
          <button key={String(v)} type="button" aria-pressed={value === v} onClick={() => onChange(v)}>
            {v ? "Yes" : "No"}
          </button>
        ))}
      </div>
    );
  }
  if (q.kind === "scale") {
    return (
      <div className="segmented" role="group" aria-label={q.label}>
        {[1, 2, 3, 4, 5].map((v) => (
          <button key={v} type="button" aria-pressed={value === v} onClick={() => onChange(v)}>
            {v}
          </button>
        ))}
      </div>
    );
  }
  return (
    <select
      className="select"
      aria-label={q.label}
      value={typeof value === "string" ? value : ""}
      onChange={(e) => {
        if (e.target.value) onChange(e.target.value);
      }}
    >
      <option value="">Choose…</option>
      {q.choices.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}

export function ScorecardPanel({ callId, review, onSaved }: Props) {
  const ctx = useReview();
  const { scorecards, reviewer } = ctx;
  const [cardId, setCardId] = useState<string | null>(null);
  const card = scorecards.find((c) => c.id === cardId) ?? scorecards[0] ?? null;
  const mine = useMemo(
    () => (card && review ? review.scores.find((s) => s.scorecard === card.id && s.reviewer === reviewer?.email) : undefined),
    [card, review, reviewer],
  );
  const others = review && card ? review.scores.filter((s) => s.scorecard === card.id && s.reviewer !== reviewer?.email) : [];
  const [edited, setEdited] = useState<{ key: string; answers: Record<string, ScoreAnswer> } | null>(null);
  const [saving, setSaving] = useState(false);
  const [savedTotal, setSavedTotal] = useState<{ key: string; total: number | null } | null>(null);
  const key = `${callId}:${card?.id ?? ""}`;
  const hasMine = mine !== undefined;

  // Without saved answers of mine, start from what the call's variables suggest; keyed by call
  // and scorecard, re-read when either changes (api/queries.ts).
  const prefilled = useApiQuery({
    ...queries.prefill(callId, card?.id ?? ""),
    enabled: card !== null && review !== null && !hasMine,
  }).data;

  if (!card) {
    return (
      <section className="card" data-testid="scorecard">
        <h2>Scorecard</h2>
        <p className="dim small">No scorecard yet. Define one in Settings → Scorecards.</p>
      </section>
    );
  }

  const current =
    edited?.key === key ? edited.answers : mine ? mine.answers : (prefilled ?? {});
  const preview = scoreTotal(card, current);
  const total = saving ? preview : savedTotal?.key === key ? savedTotal.total : mine ? mine.total : preview;
  const anyPrefilled = Object.values(current).some((a) => a.prefilled);

  const save = async (next: Record<string, ScoreAnswer>) => {
    setEdited({ key, answers: next });
    setSaving(true);
    const saved = await ctx.run(() => setScore(callId, card.id, next));
    setSaving(false);
    if (saved) {
      setEdited({ key, answers: saved.answers });
      setSavedTotal({ key, total: saved.total });
      onSaved();
    }
  };
  const answer = (q: Question, value: ScoreValue) => void save({ ...current, [q.id]: { value, prefilled: false } });
  const confirmAll = () =>
    void save(Object.fromEntries(Object.entries(current).map(([k, a]) => [k, { ...a, prefilled: false }])));

  return (
    <section className="card" data-testid="scorecard" data-scorecard={card.id}>
      <div className="card-head">
        <h2>Scorecard</h2>
        {scorecards.length > 1 ? (
          <select className="select" aria-label="Scorecard" value={card.id} onChange={(e) => setCardId(e.target.value)}>
            {scorecards.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        ) : (
          <span className="small">{card.name}</span>
        )}
        <span className="score-total mono" data-testid="score-total" title={mine ? "Saved" : "Not saved yet"}>
          {formatScore(total)}
        </span>
      </div>
      <ul className="questions">
        {card.questions.map((q) => {
          const a = current[q.id];
          return (
            <li key={q.id} className="question" data-testid="score-question" data-question={q.id}>
              <div className="question-label">
                <span>{q.label}</span>
                {q.weight !== 1 && <span className="dim small">×{q.weight}</span>}
                {a?.prefilled && (
                  <span className="badge badge-amber" data-testid="prefilled" title={`From the variable ${q.variable ?? ""}`}>
                    pre-filled
                  </span>
                )}
              </div>
              <div className="question-answer">
                <AnswerInput q={q} value={a?.value ?? null} onChange={(v) => answer(q, v)} />
                {a?.prefilled && (
                  <button type="button" className="link small" data-testid="prefilled-confirm" onClick={() => answer(q, a.value ?? "")}>
                    Confirm
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {anyPrefilled && (
        <button type="button" className="btn btn-small" onClick={confirmAll}>
          Confirm pre-filled answers
        </button>
      )}
      {others.length > 0 && (
        <ul className="other-scores small">
          {others.map((s) => (
            <li key={s.reviewer}>
              <span className="dim">{s.reviewer_name || s.reviewer}</span> <span className="mono">{formatScore(s.total)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
