// The log's review filters: by review state ("mine unreviewed", "flagged by anyone", …), by tag
// (with the number of calls carrying each), and by an extracted or input variable with typed
// operators. Active variable filters show as removable chips.

import { useEffect, useRef, useState, type SyntheticEvent } from "react";
import { queries, useApiQuery } from "../../api/queries";
import type { VarFilter, VariableKind, VariableName, VarOp } from "../../api/types";
import { formatCount } from "../../format";
import { REVIEW_FILTERS, type ReviewFilter } from "../calls/viewState";
import { TagChip } from "./ReviewBadges";
import { useReview } from "./ReviewContext";

/** Open/close state of a drop-down panel that closes on an outside click or Escape. */
export function useMenu() {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const esc = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        setOpen(false);
      }
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", esc, true);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", esc, true);
    };
  }, [open]);
  return { open, setOpen, box };
}

export function ReviewStateFilter({ value, onChange }: { value: ReviewFilter; onChange: (v: ReviewFilter) => void }) {
  return (
    <select
      aria-label="Review state"
      data-testid="review-filter"
      className={`select${value !== "any" ? " chip-on" : ""}`}
      value={value}
      onChange={(e) => onChange(e.target.value as ReviewFilter)}
    >
      {(Object.keys(REVIEW_FILTERS) as ReviewFilter[]).map((k) => (
        <option key={k} value={k}>
          {REVIEW_FILTERS[k].label}
        </option>
      ))}
    </select>
  );
}

export function TagFilter({ selected, onChange }: { selected: string[]; onChange: (tags: string[]) => void }) {
  const { tags } = useReview();
  const { open, setOpen, box } = useMenu();
  const missing = selected.filter((s) => !tags.some((t) => t.name === s)).map((name) => ({ name, color: "", count: 0 }));
  const label = selected.length === 0 ? "Any tag" : selected.length === 1 ? `Tag: ${selected[0] ?? ""}` : `${selected.length} tags`;
  const toggle = (name: string) =>
    onChange(selected.includes(name) ? selected.filter((s) => s !== name) : [...selected, name]);
  return (
    <div className="menu" ref={box}>
      <button
        type="button"
        className={`chip${selected.length > 0 ? " chip-on" : ""}`}
        data-testid="tag-filter"
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {label} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="menu-panel" role="group" aria-label="Tags">
          {tags.length + missing.length === 0 && (
            <div className="dim small menu-empty">No tags yet. Add them in Settings → Tags.</div>
          )}
          {[...tags, ...missing].map((t) => (
            <label key={t.name} className="menu-item" data-testid="tag-filter-option" data-tag={t.name}>
              <input type="checkbox" checked={selected.includes(t.name)} onChange={() => toggle(t.name)} />
              <span className="menu-item-label">
                <TagChip name={t.name} tags={tags} />
              </span>
              <span className="menu-count">{formatCount(t.count)}</span>
            </label>
          ))}
          {selected.length > 0 && (
            <button type="button" className="link small menu-clear" onClick={() => onChange([])}>
              Clear
            </button>
          )}
        </div>
      )}
    </div>
  );
}

export const OPS_BY_KIND: Record<VariableKind, { op: VarOp; label: string }[]> = {
  text: [
    { op: "eq", label: "equals" },
    { op: "contains", label: "contains" },
    { op: "missing", label: "is missing" },
  ],
  number: [
    { op: "eq", label: "=" },
    { op: "gt", label: ">" },
    { op: "gte", label: "≥" },
    { op: "lt", label: "<" },
    { op: "lte", label: "≤" },
    { op: "missing", label: "is missing" },
  ],
  boolean: [
    { op: "is_true", label: "is true" },
    { op: "is_false", label: "is false" },
    { op: "missing", label: "is missing" },
  ],
};

const OP_TEXT: Record<VarOp, string> = {
  eq: "=",
  contains: "contains",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  is_true: "is true",
  is_false: "is false",
  missing: "is missing",
};

export function needsValue(op: VarOp): boolean {
  return op !== "is_true" && op !== "is_false" && op !== "missing";
}

/** "budget > 1000", "lead_quality = high", "callback is true" */
export function varFilterText(f: VarFilter): string {
  return needsValue(f.op) ? `${f.name} ${OP_TEXT[f.op]} ${f.value ?? ""}` : `${f.name} ${OP_TEXT[f.op]}`;
}

export function VarFilters({ filters, onChange }: { filters: VarFilter[]; onChange: (f: VarFilter[]) => void }) {
  const { open, setOpen, box } = useMenu();
  // Read once the form is first opened; new calls re-read it (api/queries.ts). Without the
  // list, the name is typed.
  const list = useApiQuery({ ...queries.variableNames(), enabled: open });
  const names: VariableName[] | null = list.data ?? (list.isError ? [] : null);
  const [name, setName] = useState("");
  const [op, setOp] = useState<VarOp>("eq");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);

  // The first variable is picked when the list first arrives.
  const [picked, setPicked] = useState(false);
  if (names && !picked) {
    setPicked(true);
    const first = names[0];
    if (first && !name) {
      setName(first.name);
      setOp(OPS_BY_KIND[first.kind][0]?.op ?? "eq");
    }
  }

  const kind: VariableKind = names?.find((n) => n.name === name)?.kind ?? "text";
  const ops = OPS_BY_KIND[kind];

  const add = (e: SyntheticEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setError("Pick a variable.");
    if (needsValue(op)) {
      if (!value.trim()) return setError("Give a value to compare with.");
      if (kind === "number" && op !== "eq" && !Number.isFinite(Number(value))) return setError("That is not a number.");
    }
    onChange([...filters, { name: n, op, value: needsValue(op) ? value.trim() : null }]);
    setValue("");
    setError(null);
    setOpen(false);
  };

  return (
    <>
      {filters.map((f, i) => (
        <span key={`${f.name}-${i}`} className="chip chip-on var-chip" data-testid="var-filter-chip">
          <span className="mono">{varFilterText(f)}</span>
          <button
            type="button"
            className="tag-remove"
            aria-label={`Remove filter ${varFilterText(f)}`}
            onClick={() => onChange(filters.filter((_, k) => k !== i))}
          >
            ×
          </button>
        </span>
      ))}
      <div className="menu" ref={box}>
        <button
          type="button"
          className="chip"
          data-testid="var-filter-add"
          aria-haspopup="true"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
        >
          + Variable
        </button>
        {open && (
          <form className="menu-panel var-form" data-testid="var-filter" aria-label="Filter by variable" onSubmit={add}>
            <label className="field">
              <span>Variable</span>
              {names && names.length > 0 ? (
                <select
                  className="select"
                  data-testid="var-filter-name"
                  value={name}
                  onChange={(e) => {
                    setName(e.target.value);
                    const k = names.find((x) => x.name === e.target.value)?.kind ?? "text";
                    if (!OPS_BY_KIND[k].some((o) => o.op === op)) setOp(OPS_BY_KIND[k][0]?.op ?? "eq");
                  }}
                >
                  {names.map((n) => (
                    <option key={n.name} value={n.name}>
                      {n.name} ({n.kind})
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  className="input"
                  data-testid="var-filter-name"
                  placeholder={names === null ? "Loading…" : "variable name"}
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                />
              )}
            </label>
            <div className="var-form-row">
              <select
                className="select"
                aria-label="Operator"
                data-testid="var-filter-op"
                value={op}
                onChange={(e) => setOp(e.target.value as VarOp)}
              >
                {ops.map((o) => (
                  <option key={o.op} value={o.op}>
                    {o.label}
                  </option>
                ))}
              </select>
              {needsValue(op) && (
                <input
                  className="input"
                  aria-label="Value"
                  data-testid="var-filter-value"
                  inputMode={kind === "number" ? "decimal" : undefined}
                  value={value}
                  onChange={(e) => setValue(e.target.value)}
                />
              )}
            </div>
            {error && <p className="field-error">{error}</p>}
            <div className="dialog-actions">
              <button type="submit" className="btn btn-primary btn-small" data-testid="var-filter-apply">
                Add filter
              </button>
            </div>
          </form>
        )}
      </div>
    </>
  );
}
