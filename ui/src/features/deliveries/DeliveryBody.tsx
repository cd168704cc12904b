// A delivery's raw body: pretty-printed when it is JSON, always shown as text.

import { useState } from "react";
import { curlForDelivery } from "../../api/client";
import type { Delivery } from "../../api/types";
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

export function DeliveryBody({ delivery, startOpen = false }: { delivery: Delivery; startOpen?: boolean }) {
  const [open, setOpen] = useState(startOpen);
  const [full, setFull] = useState(false);
  const text = open ? prettyBody(delivery) : "";
  const long = text.length > PREVIEW_CHARS;

  return (
    <div className="body">
      <div className="body-actions">
        <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "Hide body" : "Show body"}
        </button>
        <CopyButton text={delivery.body} label="Copy" className="btn btn-small" />
        <CopyButton
          text={() => curlForDelivery(delivery.id)}
          label="Copy as curl"
          className="btn btn-small"
          testId="copy-curl"
        />
        {delivery.body_encoding === "base64" && <span className="dim small">binary body (base64)</span>}
      </div>
      {open && (
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
