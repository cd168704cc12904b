import type { ListenerStatus } from "../../api/types";
import { Icon } from "../../components/Icon";
import { ListenerBadge } from "../../components/ListenerBadge";
import { PortForm } from "../settings/PortForm";
import { TunnelPanel } from "../tunnel/TunnelPanel";
import { TestCallButton } from "./TestCallButton";
import { WebhookUrl } from "./WebhookUrl";

/** The port in an address like "127.0.0.1:8787". */
export function bindPort(bind: string): number | null {
  const m = /:(\d+)$/.exec(bind);
  return m ? Number(m[1]) : null;
}

export function ListenerFailure({
  listener,
  onListenerChanged,
}: {
  listener: ListenerStatus;
  onListenerChanged: (l: ListenerStatus) => void;
}) {
  return (
    <div className="callout callout-error" role="alert">
      <Icon name="alert" size={18} />
      <div>
        <strong>The webhook listener is not running.</strong>
        <p>{listener.error ?? `Could not listen on ${listener.bind}.`}</p>
        <PortForm initial={listener.port ?? bindPort(listener.bind)} submitLabel="Use this port" onChanged={onListenerChanged} />
      </div>
    </div>
  );
}

export function ConnectSteps() {
  return (
    <ol className="steps">
      <li>
        In the Intellixent dashboard, open your <strong>assistant</strong>.
      </li>
      <li>
        Go to <strong>Post-Call Actions</strong>.
      </li>
      <li>Paste the webhook URL above.</li>
      <li>
        Toggle <strong>Post call webhook</strong> on. We recommend also turning on{" "}
        <strong>Include recording in webhook</strong>.
      </li>
    </ol>
  );
}

interface Props {
  listener: ListenerStatus | null;
  onListenerChanged: (l: ListenerStatus) => void;
  onOpenCall: (id: number) => void;
}

export function ConnectPanel({ listener, onListenerChanged, onOpenCall }: Props) {
  return (
    <div className="page">
      <header className="page-head">
        <h1>Connect Intellixent</h1>
        <ListenerBadge listener={listener} />
      </header>

      {listener?.state === "failed" && <ListenerFailure listener={listener} onListenerChanged={onListenerChanged} />}

      <section className="card">
        <h2>Webhook URL</h2>
        <WebhookUrl listener={listener} />
        <p className="note">
          This URL is on this computer only (<span className="mono">127.0.0.1</span>). Intellixent can reach it
          only through a tunnel that forwards a public address to it.
        </p>
      </section>

      <section className="card">
        <h2>In Intellixent</h2>
        <ConnectSteps />
      </section>

      <TunnelPanel />

      <section className="card">
        <h2>Check the whole path</h2>
        <p className="note">Posts a sample call through the running listener, the same way Intellixent does.</p>
        <TestCallButton onOpenCall={onOpenCall} disabled={listener?.state !== "running"} />
      </section>
    </div>
  );
}
