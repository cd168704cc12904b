import { useState } from "react";
import { setListenerPort, toAppError } from "../../api/client";
import type { ListenerStatus } from "../../api/types";
import { Spinner } from "../../components/Spinner";

interface Props {
  initial: number | null;
  submitLabel: string;
  onChanged: (l: ListenerStatus) => void;
}

/** Pick the listener's port; a taken port is reported inline, next to the field. */
export function PortForm({ initial, submitLabel, onChanged }: Props) {
  const [value, setValue] = useState(initial === null ? "" : String(initial));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const port = Number(value);
  const valid = value.trim() !== "" && Number.isInteger(port) && port >= 0 && port <= 65535;

  const submit = async () => {
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      const status = await setListenerPort(port);
      onChanged(status);
      if (status.state === "failed" && status.error) setError(status.error);
    } catch (err) {
      setError(toAppError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="port-form" onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}>
      <input
        type="number"
        className="input input-port mono"
        min={0}
        max={65535}
        aria-label="Listener port"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" className="btn" disabled={!valid || busy}>
        {submitLabel}
      </button>
      {busy && <Spinner label="Restarting listener…" />}
      {!valid && value !== "" && <span className="field-error">A port is a number from 0 to 65535 (0 = any free port).</span>}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
