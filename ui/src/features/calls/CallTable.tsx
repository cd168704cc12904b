// The virtualized call log. Rows have a fixed height, so only the rows in view (plus a margin)
// are in the DOM whatever the number loaded; reaching the end asks for the next keyset page.
// When rows are inserted above the viewport (live updates), the first visible row is kept in
// place, so the user's scroll position does not jump.

import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type UIEvent } from "react";
import type { CallSummary, SortKey, SortOrder } from "../../api/types";
import { Icon } from "../../components/Icon";
import { ObjectiveMark, StatusBadge } from "../../components/StatusBadge";
import { formatDateTime, formatDuration, formatRelativeTime } from "../../format";
import type { RowReview, TagDef } from "../../api/types";
import { ReviewCell } from "../review/ReviewBadges";
import { rowReview, useReview } from "../review/ReviewContext";
import { trace } from "../search/trace";

export const ROW_HEIGHT = 36;
const OVERSCAN = 12;
/** Ask for more when this many rows remain below the viewport. */
const PREFETCH_ROWS = 60;

interface Props {
  rows: CallSummary[];
  selectedId: number | null;
  fresh: ReadonlySet<number>;
  sort: SortKey;
  order: SortOrder;
  now: number;
  hasMore: boolean;
  loading: boolean;
  onSort: (key: SortKey) => void;
  onOpen: (id: number) => void;
  onEndReached: () => void;
  /** rows ticked for a bulk action (tags, review state) */
  checked?: ReadonlySet<number>;
  /** tick a row: toggle it, or (Shift) everything from the last ticked row to it */
  onCheck?: (id: number, range: boolean) => void;
  onCheckAll?: (on: boolean) => void;
}

export function CallRow({
  call,
  selected,
  fresh,
  now,
  top,
  onOpen,
  review,
  tags = [],
  checked = false,
  onCheck,
}: {
  call: CallSummary;
  selected: boolean;
  fresh: boolean;
  now: number;
  top: number;
  onOpen: (id: number) => void;
  review?: RowReview;
  tags?: TagDef[];
  checked?: boolean;
  onCheck?: (id: number, range: boolean) => void;
}) {
  const cls = `row${selected ? " row-selected" : ""}${fresh ? " row-fresh" : ""}${checked ? " row-checked" : ""}`;
  return (
    <div
      role="row"
      aria-selected={selected}
      className={cls}
      data-testid="call-row"
      data-call-id={call.id}
      data-checked={checked || undefined}
      style={{ transform: `translateY(${top}px)` }}
      onClick={(e) => {
        // Shift- or Ctrl-click builds a multi-selection instead of opening the call.
        if (onCheck && (e.shiftKey || e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          window.getSelection()?.removeAllRanges();
          onCheck(call.id, e.shiftKey);
          return;
        }
        onOpen(call.id);
      }}
    >
      <span role="cell" className="c-check" onClick={(e) => e.stopPropagation()}>
        {onCheck && (
          <input
            type="checkbox"
            data-testid="row-check"
            aria-label={`Select call ${call.id}`}
            checked={checked}
            onClick={(e) => {
              e.stopPropagation();
              onCheck(call.id, e.shiftKey);
            }}
            onChange={() => undefined}
          />
        )}
      </span>
      <span role="cell" className="c-time" title={formatDateTime(call.created_at_ms)}>
        {formatRelativeTime(call.created_at_ms, now)}
      </span>
      <span role="cell" className="c-phone mono">
        {call.customer_phone ?? <span className="dim">–</span>}
      </span>
      <span role="cell" className="c-phone c-assistant mono">
        {call.assistant_phone ?? <span className="dim">–</span>}
      </span>
      <span role="cell" className="c-status">
        <StatusBadge status={call.status} />
      </span>
      <span role="cell" className="c-num mono">
        {formatDuration(call.duration)}
      </span>
      <span role="cell" className="c-center">
        <ObjectiveMark value={call.objective_achieved} />
      </span>
      <span role="cell" className="c-review">
        {review && <ReviewCell review={review} tags={tags} />}
      </span>
      <span role="cell" className="c-summary" title={call.summary ?? undefined}>
        {call.summary ?? <span className="dim">–</span>}
      </span>
      <span role="cell" className="c-campaign" title={call.campaign ?? undefined}>
        {call.campaign ?? <span className="dim">–</span>}
        {call.recovered && (
          <span className="tag" title="Recovered through the API backfill">
            recovered
          </span>
        )}
      </span>
      <span role="cell" className="c-center">
        {call.has_recording ? (
          <span title="Recording available" aria-label="Recording available">
            <Icon name="wave" size={15} className="accent" />
          </span>
        ) : null}
      </span>
    </div>
  );
}

function SortHeader({
  label,
  sortKey,
  sort,
  order,
  onSort,
  className,
}: {
  label: string;
  sortKey: SortKey;
  sort: SortKey;
  order: SortOrder;
  onSort: (k: SortKey) => void;
  className?: string;
}) {
  const active = sort === sortKey;
  return (
    <span
      role="columnheader"
      className={className}
      aria-sort={active ? (order === "asc" ? "ascending" : "descending") : "none"}
    >
      <button type="button" className={`th-sort${active ? " active" : ""}`} onClick={() => onSort(sortKey)}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (order === "asc" ? "↑" : "↓") : ""}
        </span>
      </button>
    </span>
  );
}

export const CallTable = memo(function CallTable(props: Props) {
  trace("table-render");
  const { rows, selectedId, fresh, sort, order, now, hasMore, loading, onSort, onOpen, onEndReached } = props;
  const { checked, onCheck, onCheckAll } = props;
  const { patches, tags } = useReview();
  const allChecked = checked !== undefined && rows.length > 0 && checked.size >= rows.length;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  // The row at the top of the viewport and how far into it we are scrolled.
  const anchor = useRef<{ id: number; offset: number } | null>(null);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => {
      if (el.clientHeight > 0) setHeight(el.clientHeight);
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const rememberAnchor = useCallback(
    (top: number) => {
      const index = Math.floor(top / ROW_HEIGHT);
      const row = rows[index];
      anchor.current = row ? { id: row.id, offset: top - index * ROW_HEIGHT } : null;
    },
    [rows],
  );

  // Keep the anchored row in place when rows are inserted above it.
  useLayoutEffect(() => {
    const el = scroller.current;
    const a = anchor.current;
    if (!el || !a || el.scrollTop === 0) return;
    const index = rows.findIndex((r) => r.id === a.id);
    if (index < 0) return;
    const want = index * ROW_HEIGHT + a.offset;
    if (Math.abs(want - el.scrollTop) >= 1) {
      el.scrollTop = want;
      setScrollTop(want);
    }
  }, [rows]);

  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    const top = e.currentTarget.scrollTop;
    setScrollTop(top);
    rememberAnchor(top);
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  useEffect(() => {
    if (hasMore && !loading && last >= rows.length - PREFETCH_ROWS) onEndReached();
  }, [hasMore, loading, last, rows.length, onEndReached]);

  // Keep the keyboard selection visible.
  useEffect(() => {
    const el = scroller.current;
    if (!el || selectedId === null) return;
    const index = rows.findIndex((r) => r.id === selectedId);
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    const view = el.clientHeight || height;
    const headerH = ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + view - headerH) el.scrollTop = top + ROW_HEIGHT - view + headerH;
    // `rows` is left out on purpose: only a change of selection scrolls.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId]);

  return (
    <div className="table-scroll" ref={scroller} onScroll={onScroll} role="table" aria-label="Calls" aria-rowcount={rows.length}>
      <div className="thead" role="row">
        <span role="columnheader" className="c-check">
          {onCheckAll && (
            <input
              type="checkbox"
              aria-label="Select all loaded calls"
              checked={allChecked}
              onChange={(e) => onCheckAll(e.target.checked)}
            />
          )}
        </span>
        <SortHeader label="Time" sortKey="time" sort={sort} order={order} onSort={onSort} />
        <span role="columnheader">Customer</span>
        <span role="columnheader" className="c-assistant">
          Assistant
        </span>
        <span role="columnheader">Status</span>
        <SortHeader label="Duration" sortKey="duration" sort={sort} order={order} onSort={onSort} className="c-num" />
        <span role="columnheader" className="c-center" title="Objective achieved">
          Obj.
        </span>
        <span role="columnheader">Review</span>
        <span role="columnheader">Summary</span>
        <span role="columnheader">Campaign</span>
        <span role="columnheader" className="c-center" title="Recording">
          <Icon name="wave" size={14} />
        </span>
      </div>
      <div className="tbody" style={{ height: rows.length * ROW_HEIGHT }}>
        {rows.slice(first, last).map((call, i) => (
          <CallRow
            key={call.id}
            call={call}
            top={(first + i) * ROW_HEIGHT}
            selected={call.id === selectedId}
            fresh={fresh.has(call.id)}
            now={now}
            onOpen={onOpen}
            review={rowReview(call, patches)}
            tags={tags}
            checked={checked?.has(call.id) ?? false}
            onCheck={onCheck}
          />
        ))}
      </div>
      {loading && rows.length > 0 && hasMore && <div className="table-more dim small">Loading more…</div>}
    </div>
  );
});
