// Call statuses are free strings from the payload; a few known ones get a colour.

export function statusTone(status: string | null): "green" | "amber" | "red" | "grey" {
  switch ((status ?? "").toLowerCase()) {
    case "completed":
      return "green";
    case "busy":
    case "no-answer":
    case "no_answer":
      return "amber";
    case "failed":
      return "red";
    default:
      return "grey";
  }
}

export function StatusBadge({ status }: { status: string | null }) {
  return <span className={`badge badge-${statusTone(status)}`}>{status ?? "unknown"}</span>;
}

export function ObjectiveMark({ value }: { value: boolean | null }) {
  if (value === true)
    return (
      <span className="mark-yes" title="Objective achieved">
        ✓
      </span>
    );
  if (value === false)
    return (
      <span className="mark-no" title="Objective not achieved">
        ✗
      </span>
    );
  return (
    <span className="dim" title="Unknown">
      –
    </span>
  );
}
