import { useState } from "react";
import { sendTestCall } from "../../api/client";
import { useNotify } from "../../app/notify";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";

export function TestCallButton({ onOpenCall, disabled }: { onOpenCall: (id: number) => void; disabled?: boolean }) {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [received, setReceived] = useState<number | null>(null);

  const send = async () => {
    setBusy(true);
    setReceived(null);
    try {
      setReceived(await sendTestCall());
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="test-call">
      <button type="button" className="btn" disabled={busy || disabled} onClick={() => void send()}>
        <Icon name="send" size={14} />
        Send a test call
      </button>
      {busy && <Spinner label="Sending…" />}
      {received !== null && (
        <span className="test-call-ok" role="status">
          <Icon name="check" size={14} className="ok" /> Test call #{received} received.{" "}
          <button type="button" className="link" onClick={() => onOpenCall(received)}>
            Open it
          </button>
        </span>
      )}
    </div>
  );
}
