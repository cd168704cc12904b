import { useEffect, useState, type ReactNode } from "react";
import { queries, useApiQuery } from "../api/queries";
import { Spinner } from "../components/Spinner";
import "./startup.css";

/** Below this, opening the data folder is not worth a screen of its own (it would only flash). */
const SHOW_AFTER_MS = 300;

/**
 * Shows the app once the data folder is open. The window opens before that: until then it says
 * what is being done (a schema upgrade, building the search index, re-indexing after a crash)
 * and how far along it is, or why the folder could not be opened. The state is one query: the
 * first answer, then each `startup` event written into it (api/queries.ts).
 */
export function StartupGate({ children }: { children: ReactNode }) {
  const startup = useApiQuery(queries.startup()).data ?? null;
  const [slow, setSlow] = useState(false);

  // A timer, not a read: the opening screen appears only once opening takes a while.
  useEffect(() => {
    const timer = window.setTimeout(() => setSlow(true), SHOW_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, []);

  if (startup?.state === "ready") return <>{children}</>;
  if (startup?.state === "failed") {
    return (
      <main className="startup" data-testid="startup" data-state="failed">
        <h1>Postcall could not open its data folder</h1>
        <p className="startup-error" data-testid="startup-error">
          {startup.error}
        </p>
        <p className="dim">Close this window, deal with the problem above, then start Postcall again.</p>
      </main>
    );
  }
  if (!slow) return null;
  const step = startup?.step ?? null;
  const counted = step !== null && step.total > 0;
  return (
    <main className="startup" data-testid="startup" data-state="opening">
      <h1>Opening Postcall</h1>
      <p data-testid="startup-step">{step ? `${step.what}…` : "Opening the call database…"}</p>
      {counted ? (
        <>
          <progress
            data-testid="startup-progress"
            aria-label={step.what}
            max={step.total}
            value={Math.min(step.done, step.total)}
          />
          <p className="dim small" data-testid="startup-count">
            {step.done.toLocaleString("en-US")} of {step.total.toLocaleString("en-US")} {step.unit} (
            {Math.floor((100 * Math.min(step.done, step.total)) / step.total)}%)
          </p>
        </>
      ) : (
        <Spinner label="Working…" />
      )}
      <p className="dim small">Your calls are safe; this happens once, after an upgrade or an interruption.</p>
    </main>
  );
}
