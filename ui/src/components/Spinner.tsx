/** A progress indicator that only becomes visible when the wait is noticeable. */
export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <span className="spinner" role="progressbar" aria-label={label}>
      <span className="spinner-dot" aria-hidden="true" />
      <span className="spinner-label">{label}</span>
    </span>
  );
}
