// Deliveries that were stored but could not be turned into a call, with a way to try again
// (after an upgrade that understands them, for example).

import { useEffect, useState } from "react";
import { reprocessDelivery } from "../../api/client";
import { queries, useApiQuery } from "../../api/queries";
import type { Delivery, ReprocessResult } from "../../api/types";
import { useNotify } from "../../app/notify";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { formatDateTime } from "../../format";
import { DeliveryBody } from "./DeliveryBody";

function FailedItem({ d, onOpenCall }: { d: Delivery; onOpenCall: (id: number) => void }) {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ReprocessResult | null>(null);

  const run = async () => {
    setBusy(true);
    try {
      setResult(await reprocessDelivery(d.id));
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="card delivery" data-testid="failed-delivery" data-delivery-id={d.id}>
      <div className="delivery-head">
        <span title={d.received_at}>{formatDateTime(Date.parse(d.received_at) || null)}</span>
        <span className="badge badge-source">{d.source}</span>
        <span className="mono small dim">{d.content_type ?? "no content type"}</span>
        <span className="dim mono small">#{d.id}</span>
        <span className="spacer" />
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => void run()}>
          <Icon name="refresh" size={13} /> Re-process
        </button>
        {busy && <Spinner label="Re-processing…" />}
      </div>
      <p className="field-error">{d.error ?? "Unknown error"}</p>
      {result && (
        <p className={result.outcome === "stored" ? "ok-text" : "field-error"} role="status">
          {result.outcome === "stored" ? (
            <>
              Stored as call #{result.call_id}.{" "}
              {result.call_id !== null && (
                <button type="button" className="link" onClick={() => onOpenCall(result.call_id ?? 0)}>
                  Open it
                </button>
              )}
            </>
          ) : (
            `Still failing: ${result.error ?? "unknown error"}`
          )}
        </p>
      )}
      <DeliveryBody delivery={d} startOpen />
    </li>
  );
}

export function FailedDeliveries({ onOpenCall }: { onOpenCall: (id: number) => void }) {
  const notify = useNotify();
  const list = useApiQuery(queries.deliveries(true));
  const items: Delivery[] | null = list.data ?? (list.isError ? [] : null);
  useEffect(() => {
    if (list.error) notify.error(list.error);
  }, [list.error, notify]);

  return (
    <div className="page page-wide">
      <header className="page-head">
        <h1>Failed deliveries</h1>
        {items && <span className="dim">{items.length === 0 ? "" : `${items.length} failed`}</span>}
      </header>
      <p className="note">
        Webhooks that arrived but could not be read as a call. Their exact bytes are kept; re-process them once the
        cause is fixed.
      </p>
      {items === null ? (
        <Spinner />
      ) : items.length === 0 ? (
        <div className="placeholder">
          <Icon name="check" size={18} className="ok" /> No failed deliveries.
        </div>
      ) : (
        <ul className="deliveries">
          {items.map((d) => (
            <FailedItem key={d.id} d={d} onOpenCall={onOpenCall} />
          ))}
        </ul>
      )}
    </div>
  );
}
