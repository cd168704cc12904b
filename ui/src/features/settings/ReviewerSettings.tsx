// Settings → Reviewer: the name and email that sign this laptop's reviews, notes and scores.

import { useReview } from "../review/ReviewContext";

export function ReviewerSettings() {
  const { reviewer, editReviewer } = useReview();
  return (
    <section className="card" data-testid="reviewer-settings">
      <h2>Reviewer</h2>
      <div className="setting">
        <div>
          <div className="setting-label">{reviewer ? reviewer.name : "Not set yet"}</div>
          <div className="dim small">
            {reviewer ? reviewer.email : "Postcall asks for your name and email the first time you review a call."}
          </div>
        </div>
        <button type="button" className="btn" data-testid="reviewer-edit" onClick={() => void editReviewer()}>
          {reviewer ? "Change…" : "Set…"}
        </button>
      </div>
    </section>
  );
}
