// "Who is reviewing?": a native modal <dialog> with name and email, shown at the first review
// action (and from Settings). Every review event carries this identity, so teammates' work can
// be told apart when it is merged.

import { useEffect, useRef, useState, type SyntheticEvent } from "react";
import type { Reviewer } from "../../api/types";

interface Props {
  initial: Reviewer | null;
  /** resolves to an error message to show, or null when saved */
  onSave: (r: Reviewer) => Promise<string | null>;
  onCancel: () => void;
}

export function ReviewerDialog({ initial, onSave, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(initial?.name ?? "");
  const [email, setEmail] = useState(initial?.email ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (!d || d.open) return;
    try {
      d.showModal();
    } catch {
      // An engine without modal dialogs (or a test DOM): show it in place.
      d.setAttribute("open", "");
    }
  }, []);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const r = { name: name.trim(), email: email.trim() };
    if (!r.name || !/^[^\s@]+@[^\s@]+$/.test(r.email)) {
      setError("Give your name and an email address like sam@example.com.");
      return;
    }
    setBusy(true);
    const err = await onSave(r);
    setBusy(false);
    if (err) setError(err);
  };

  return (
    <dialog
      ref={ref}
      className="dialog reviewer-dialog"
      data-testid="reviewer-dialog"
      aria-labelledby="reviewer-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <form noValidate onSubmit={(e) => void submit(e)}>
        <h2 id="reviewer-title">{initial ? "Your reviewer name" : "Who is reviewing?"}</h2>
        <p className="dim small">
          Your name and email sign your reviews, notes and scores, so the team can tell whose work is whose.
        </p>
        <label className="field">
          <span>Name</span>
          <input
            className="input"
            data-testid="reviewer-name"
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="name"
          />
        </label>
        <label className="field">
          <span>Email</span>
          <input
            className="input"
            type="email"
            data-testid="reviewer-email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
          />
        </label>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="reviewer-save" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </dialog>
  );
}
