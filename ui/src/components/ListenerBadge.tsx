import type { ListenerStatus } from "../api/types";

export function listenerText(l: ListenerStatus | null): string {
  if (!l) return "Connecting…";
  switch (l.state) {
    case "running":
      return l.port !== null ? `Listening on port ${l.port}` : "Listening";
    case "starting":
      return "Starting listener…";
    case "failed":
      return "Listener failed";
    case "stopped":
      return "Listener stopped";
  }
}

export function ListenerBadge({ listener }: { listener: ListenerStatus | null }) {
  const state = listener?.state ?? "starting";
  return (
    <span className={`listener listener-${state}`} title={listener?.error ?? listener?.bind ?? undefined}>
      <span className="listener-dot" aria-hidden="true" />
      <span className="listener-text">{listenerText(listener)}</span>
    </span>
  );
}
