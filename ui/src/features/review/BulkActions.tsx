// Actions on the calls ticked in the log: tag or untag them all ("Tag…"), mark them reviewed or
// flagged. Both are optimistic, so the ticked rows change at once.

import type { CallSummary } from "../../api/types";
import { plural } from "../../format";
import { TagChip } from "./ReviewBadges";
import { rowReview, useReview } from "./ReviewContext";
import { useMenu } from "./ReviewFilters";

interface Props {
  rows: CallSummary[];
  onClear: () => void;
}

export function BulkActions({ rows, onClear }: Props) {
  const { tags, patches, changeTags, markState } = useReview();
  const { open, setOpen, box } = useMenu();
  const current = rows.map((r) => ({ id: r.id, tags: rowReview(r, patches).tags }));
  const ids = rows.map((r) => r.id);

  const toggle = (name: string) => {
    const all = current.every((c) => c.tags.includes(name));
    void changeTags(current, all ? [] : [name], all ? [name] : []);
  };

  return (
    <div className="bulk-bar" data-testid="bulk-bar" role="toolbar" aria-label="Selected calls">
      <strong>{plural(rows.length, "call", "calls")} selected</strong>
      <div className="menu" ref={box}>
        <button
          type="button"
          className="btn btn-small"
          data-testid="bulk-tag"
          aria-haspopup="true"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
        >
          Tag… <span aria-hidden="true">▾</span>
        </button>
        {open && (
          <div className="menu-panel" role="group" aria-label="Tag the selected calls">
            {tags.length === 0 && <div className="dim small menu-empty">No tags yet. Add them in Settings → Tags.</div>}
            {tags.map((t) => {
              const n = current.filter((c) => c.tags.includes(t.name)).length;
              const state = n === 0 ? "none" : n === current.length ? "all" : "some";
              return (
                <button
                  key={t.name}
                  type="button"
                  className="menu-item menu-button"
                  data-testid="bulk-tag-option"
                  data-tag={t.name}
                  data-state={state}
                  title={state === "all" ? "Remove from the selected calls" : "Add to the selected calls"}
                  onClick={() => toggle(t.name)}
                >
                  <span className="menu-check" aria-hidden="true">
                    {state === "all" ? "✓" : state === "some" ? "–" : ""}
                  </span>
                  <span className="menu-item-label">
                    <TagChip name={t.name} tags={tags} />
                  </span>
                  <span className="menu-count">
                    {n}/{current.length}
                  </span>
                </button>
              );
            })}
          </div>
        )}
      </div>
      <button type="button" className="btn btn-small" data-testid="bulk-reviewed" onClick={() => void markState(ids, "reviewed")}>
        Mark reviewed
      </button>
      <button type="button" className="btn btn-small" onClick={() => void markState(ids, "flagged")}>
        Flag
      </button>
      <button type="button" className="link small" onClick={onClear}>
        Clear selection
      </button>
    </div>
  );
}
