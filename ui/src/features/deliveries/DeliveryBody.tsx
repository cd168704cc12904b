// A delivery's raw body: pretty-printed when it is JSON, always shown as text. A call's detail
// lists its deliveries without bodies (a one-hour call's payload is hundreds of KB each time it
// was delivered); the body is fetched when the user opens or copies it.

import { useState } from "react";
import { toAppError } from "../../api/client";
import { queries, queryClient } from "../../api/queries";
import type { Delivery, DeliveryHead } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";

export function prettyBody(d: Pick<Delivery, "body" | "body_encoding">): string {
  if (d.body_encoding !== "utf8") return d.body;
  try {
    return JSON.stringify(JSON.parse(d.body) as unknown, null, 2);
  } catch {
    return d.body;
  }
}

const PREVIEW_CHARS = 600;

function hasBody(d: Delivery | DeliveryHead): d is Delivery {
  return typeof (d as Partial<Delivery>).body === "string";
}

export function DeliveryBody({ delivery, startOpen = false }: { delivery: Delivery | DeliveryHead; startOpen?: boolean }) {
  const [open, setOpen] = useState(startOpen);
  const [full, setFull] = useState(false);
  const [loaded, setLoaded] = useState<Delivery | null>(hasBody(delivery) ? delivery : null);
  const [error, setError] = useState<string | null>(null);
  const body = hasBody(delivery) ? delivery : loaded?.id === delivery.id ? loaded : null;
  const text = open && body ? prettyBody(body) : "";
  const long = text.length > PREVIEW_CHARS;

  const load = async (): Promise<Delivery> => {
    if (body) return body;
    const d = await queryClient.query(queries.delivery(delivery.id));
    setLoaded(d);
    return d;
  };
  const toggle = () => {
    if (!open && !body) {
      setError(null);
      load().catch((e: unknown) => setError(toAppError(e).message));
    }
    setOpen((o) => !o);
  };

  return (
    <div className="body">
      <div className="body-actions">
        <button type="button" className="btn btn-small" aria-expanded={open} onClick={toggle}>
          {open ? "Hide body" : "Show body"}
        </button>
        <CopyButton text={async () => (await load()).body} label="Copy" className="btn btn-small" />
        <CopyButton
          text={() => queryClient.query(queries.curl(delivery.id))}
          label="Copy as curl"
          className="btn btn-small"
          testId="copy-curl"
        />
        {body?.body_encoding === "base64" && <span className="dim small">binary body (base64)</span>}
        {!body && "body_bytes" in delivery && (
          <span className="dim small">{Math.max(1, Math.round(delivery.body_bytes / 1024))} KB</span>
        )}
      </div>
      {open && error && <p className="field-error">{error}</p>}
      {open && !body && !error && <p className="dim small">Loading…</p>}
      {open && body && (
        <>
          <pre className="raw" data-testid="delivery-body">
            {long && !full ? `${text.slice(0, PREVIEW_CHARS)}…` : text}
          </pre>
          {long && (
            <button type="button" className="link small" onClick={() => setFull((f) => !f)}>
              {full ? "Show less" : `Show all (${Math.round(text.length / 1024)} KB)`}
            </button>
          )}
        </>
      )}
    </div>
  );
}
