// Settings → Scorecards: the rubric reviewers fill per call. Questions are yes/no, a 1–5 scale
// or a choice, each with a weight; a question may name an extracted variable to pre-fill its
// answer from (e.g. "Objective achieved" ← status).

import { useState } from "react";
import { deleteScorecard, saveScorecard } from "../../api/client";
import { queries, useApiQuery } from "../../api/queries";
import type { Question, QuestionKind, Scorecard, VariableName } from "../../api/types";
import { useNotify } from "../../app/notify";
import { useReview } from "../review/ReviewContext";

const KINDS: { kind: QuestionKind; label: string }[] = [
  { kind: "yes_no", label: "Yes / no" },
  { kind: "scale", label: "1–5" },
  { kind: "choice", label: "Choice" },
];

/** A short unique id for new scorecards and questions (stable once saved). */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

function blankQuestion(): Question {
  return { id: newId("q"), label: "", kind: "yes_no", choices: [], weight: 1, variable: null };
}

/** Why a draft cannot be saved, or null. */
export function scorecardProblem(s: Scorecard): string | null {
  if (!s.name.trim()) return "Give the scorecard a name.";
  if (s.questions.length === 0) return "Add at least one question.";
  for (const [i, q] of s.questions.entries()) {
    if (!q.label.trim()) return `Question ${i + 1} needs a label.`;
    if (q.kind === "choice" && q.choices.length < 2) return `“${q.label}” needs at least two choices.`;
    if (!(q.weight >= 0)) return `“${q.label}” needs a weight of 0 or more.`;
  }
  return null;
}

function QuestionRow({
  q,
  vars,
  onChange,
  onRemove,
}: {
  q: Question;
  vars: VariableName[];
  onChange: (q: Question) => void;
  onRemove: () => void;
}) {
  const [choices, setChoices] = useState(q.choices.join(", "));
  return (
    <li className="rubric-question" data-testid="rubric-question">
      <input
        className="input rubric-label"
        aria-label="Question"
        placeholder="Question, e.g. Objective achieved"
        value={q.label}
        onChange={(e) => onChange({ ...q, label: e.target.value })}
      />
      <select
        className="select"
        aria-label="Answer type"
        value={q.kind}
        onChange={(e) => onChange({ ...q, kind: e.target.value as QuestionKind })}
      >
        {KINDS.map((k) => (
          <option key={k.kind} value={k.kind}>
            {k.label}
          </option>
        ))}
      </select>
      <label className="rubric-weight">
        <span className="dim small">Weight</span>
        <input
          className="input"
          type="number"
          min={0}
          step={1}
          aria-label="Weight"
          value={q.weight}
          onChange={(e) => onChange({ ...q, weight: Number(e.target.value) })}
        />
      </label>
      <select
        className="select"
        aria-label="Pre-fill from variable"
        value={q.variable ?? ""}
        onChange={(e) => onChange({ ...q, variable: e.target.value || null })}
      >
        <option value="">No pre-fill</option>
        {q.variable && !vars.some((v) => v.name === q.variable) && <option value={q.variable}>← {q.variable}</option>}
        {vars.map((v) => (
          <option key={v.name} value={v.name}>
            ← {v.name}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-small btn-ghost" aria-label="Remove question" onClick={onRemove}>
        ×
      </button>
      {q.kind === "choice" && (
        <input
          className="input rubric-choices"
          aria-label="Choices"
          placeholder="Choices, best first, separated by commas"
          value={choices}
          onChange={(e) => {
            setChoices(e.target.value);
            onChange({
              ...q,
              choices: e.target.value
                .split(",")
                .map((c) => c.trim())
                .filter(Boolean),
            });
          }}
        />
      )}
    </li>
  );
}

const NO_VARS: VariableName[] = [];

export function ScorecardSettings() {
  const notify = useNotify();
  const { scorecards, setScorecards } = useReview();
  const [draft, setDraft] = useState<Scorecard | null>(null);
  const vars = useApiQuery(queries.variableNames()).data ?? NO_VARS;
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);


  const edit = (s: Scorecard) => {
    setDraft(structuredClone(s));
    setProblem(null);
  };
  const save = async () => {
    if (!draft) return;
    const p = scorecardProblem(draft);
    setProblem(p);
    if (p) return;
    setBusy(true);
    try {
      setScorecards(await saveScorecard({ ...draft, name: draft.name.trim() }));
      setDraft(null);
      notify.info("Scorecard saved.");
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: string) => {
    try {
      setScorecards(await deleteScorecard(id));
      setDraft(null);
    } catch (e) {
      notify.error(e);
    }
  };
  const setQuestion = (i: number, q: Question) =>
    setDraft((d) => (d ? { ...d, questions: d.questions.map((x, k) => (k === i ? q : x)) } : d));

  return (
    <section className="card" data-testid="scorecard-settings">
      <h2>Scorecards</h2>
      {!draft && (
        <>
          <ul className="tag-list">
            {scorecards.map((s) => (
              <li key={s.id} className="tag-row" data-testid="scorecard-row" data-scorecard={s.id}>
                <span className="setting-label">{s.name}</span>
                <span className="dim small">
                  {s.questions.length} question{s.questions.length === 1 ? "" : "s"}
                </span>
                <span className="spacer" />
                <button type="button" className="btn btn-small" onClick={() => edit(s)}>
                  Edit
                </button>
              </li>
            ))}
            {scorecards.length === 0 && <li className="dim small">No scorecard yet.</li>}
          </ul>
          <button
            type="button"
            className="btn"
            data-testid="scorecard-new"
            onClick={() => edit({ id: newId("sc"), name: "", questions: [blankQuestion()] })}
          >
            New scorecard
          </button>
        </>
      )}
      {draft && (
        <div className="rubric" data-testid="rubric-editor">
          <input
            className="input rubric-name"
            aria-label="Scorecard name"
            placeholder="Scorecard name, e.g. Call quality"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          />
          <ul className="rubric-questions">
            {draft.questions.map((q, i) => (
              <QuestionRow
                key={q.id}
                q={q}
                vars={vars}
                onChange={(nq) => setQuestion(i, nq)}
                onRemove={() => setDraft({ ...draft, questions: draft.questions.filter((_, k) => k !== i) })}
              />
            ))}
          </ul>
          <button
            type="button"
            className="btn btn-small"
            data-testid="rubric-add-question"
            onClick={() => setDraft({ ...draft, questions: [...draft.questions, blankQuestion()] })}
          >
            + Question
          </button>
          {problem && <p className="field-error">{problem}</p>}
          <div className="dialog-actions">
            {scorecards.some((s) => s.id === draft.id) && (
              <button type="button" className="btn btn-danger-outline" onClick={() => void remove(draft.id)} disabled={busy}>
                Delete scorecard
              </button>
            )}
            <span className="spacer" />
            <button type="button" className="btn" onClick={() => setDraft(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" data-testid="rubric-save" onClick={() => void save()} disabled={busy}>
              Save scorecard
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
