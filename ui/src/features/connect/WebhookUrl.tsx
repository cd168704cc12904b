import type { ListenerStatus } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";

export function WebhookUrl({ listener }: { listener: ListenerStatus | null }) {
  const url = listener?.webhook_url ?? "";
  return (
    <div className="url-field">
      <input
        className="input mono"
        readOnly
        aria-label="Webhook URL"
        data-testid="webhook-url"
        value={url}
        placeholder={listener?.state === "failed" ? "The listener is not running" : "Starting the listener…"}
        onFocus={(e) => e.currentTarget.select()}
      />
      {url && <CopyButton text={url} className="btn btn-primary" testId="copy-webhook-url" />}
    </div>
  );
}
