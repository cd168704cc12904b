import type { ListenerStatus } from "../../api/types";
import { Icon } from "../../components/Icon";
import { ConnectSteps, ListenerFailure } from "../connect/ConnectPanel";
import { TestCallButton } from "../connect/TestCallButton";
import { WebhookUrl } from "../connect/WebhookUrl";

interface Props {
  listener: ListenerStatus | null;
  onListenerChanged: (l: ListenerStatus) => void;
  onOpenCall: (id: number) => void;
}

/** What a new install shows instead of an empty table. */
export function EmptyState({ listener, onListenerChanged, onOpenCall }: Props) {
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-icon">
        <Icon name="calls" size={28} />
      </div>
      <h2>No calls yet</h2>
      <p className="empty-lead">
        Postcall stores every call Intellixent reports when it ends. Give Intellixent this webhook URL and calls
        will appear here as they finish.
      </p>
      {listener?.state === "failed" && <ListenerFailure listener={listener} onListenerChanged={onListenerChanged} />}
      <WebhookUrl listener={listener} />
      <ConnectSteps />
      <p className="note">
        The URL is local to this computer; Intellixent reaches it through a tunnel. To check that everything works
        now, send a test call:
      </p>
      <TestCallButton onOpenCall={onOpenCall} disabled={listener?.state !== "running"} />
    </div>
  );
}
