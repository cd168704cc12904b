import { memo, useEffect, useRef, useState } from "react";
import type { Facets } from "../../api/types";
import { formatCount } from "../../format";
import { ReviewStateFilter, TagFilter, VarFilters } from "../review/ReviewFilters";
import { activeFilterCount, emptyFilters, type Filters, type Objective } from "./viewState";

interface Props {
  filters: Filters;
  facets: Facets | null;
  onChange: (f: Filters) => void;
}

function StatusMenu({
  selected,
  facets,
  onChange,
}: {
  selected: string[];
  facets: Facets | null;
  onChange: (s: string[]) => void;
}) {
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

  const values = facets?.statuses ?? [];
  // Selected statuses stay listed even when no call has them any more.
  const missing = selected.filter((s) => !values.some((v) => v.value === s)).map((value) => ({ value, count: 0 }));
  const label =
    selected.length === 0 ? "Any status" : selected.length === 1 ? (selected[0] ?? "") : `${selected.length} statuses`;

  const toggle = (value: string) =>
    onChange(selected.includes(value) ? selected.filter((s) => s !== value) : [...selected, value]);

  return (
    <div className="menu" ref={box}>
      <button
        type="button"
        className={`chip${selected.length > 0 ? " chip-on" : ""}`}
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {label} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="menu-panel" role="group" aria-label="Status">
          {values.length + missing.length === 0 && <div className="dim small menu-empty">No statuses yet</div>}
          {[...values, ...missing].map((v) => (
            <label key={v.value} className="menu-item">
              <input type="checkbox" checked={selected.includes(v.value)} onChange={() => toggle(v.value)} />
              <span className="menu-item-label">{v.value}</span>
              <span className="menu-count">{formatCount(v.count)}</span>
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

export const FiltersBar = memo(function FiltersBar({ filters, facets, onChange }: Props) {
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => onChange({ ...filters, [key]: value });
  const active = activeFilterCount(filters);
  const campaigns = facets?.campaigns ?? [];

  return (
    <div className="filters" role="search" aria-label="Filters">
      <StatusMenu selected={filters.statuses} facets={facets} onChange={(s) => set("statuses", s)} />
      <span className="filter-group">
        <span className="dim date-label" aria-hidden="true">
          From
        </span>
        <input
          type="date"
          aria-label="From date"
          className={`input input-date${filters.from ? "" : " is-empty"}`}
          value={filters.from}
          max={filters.to || undefined}
          onChange={(e) => set("from", e.target.value)}
        />
        <span className="dim date-label" aria-hidden="true">
          to
        </span>
        <input
          type="date"
          aria-label="To date"
          className={`input input-date${filters.to ? "" : " is-empty"}`}
          value={filters.to}
          min={filters.from || undefined}
          onChange={(e) => set("to", e.target.value)}
        />
      </span>
      <select
        aria-label="Objective achieved"
        className={`select${filters.objective !== "any" ? " chip-on" : ""}`}
        value={filters.objective}
        onChange={(e) => set("objective", e.target.value as Objective)}
      >
        <option value="any">Objective: any</option>
        <option value="yes">Objective: ✓ yes</option>
        <option value="no">Objective: ✗ no</option>
      </select>
      <select
        aria-label="Campaign"
        className={`select${filters.campaign ? " chip-on" : ""}`}
        value={filters.campaign}
        onChange={(e) => set("campaign", e.target.value)}
      >
        <option value="">All campaigns</option>
        {filters.campaign && !campaigns.some((c) => c.value === filters.campaign) && (
          <option value={filters.campaign}>{filters.campaign}</option>
        )}
        {campaigns.map((c) => (
          <option key={c.value} value={c.value}>
            {c.value} ({formatCount(c.count)})
          </option>
        ))}
      </select>
      <input
        type="text"
        className="input input-phone"
        placeholder="Phone number"
        aria-label="Phone number"
        value={filters.phone}
        onChange={(e) => set("phone", e.target.value)}
      />
      <label className={`toggle${filters.hasRecording ? " chip-on" : ""}`}>
        <input type="checkbox" checked={filters.hasRecording} onChange={(e) => set("hasRecording", e.target.checked)} />
        Has recording
      </label>
      <label className={`toggle${filters.recoveredOnly ? " chip-on" : ""}`}>
        <input
          type="checkbox"
          checked={filters.recoveredOnly}
          onChange={(e) => set("recoveredOnly", e.target.checked)}
        />
        Recovered only
      </label>
      <ReviewStateFilter value={filters.review} onChange={(v) => set("review", v)} />
      <TagFilter selected={filters.tags} onChange={(t) => set("tags", t)} />
      <VarFilters filters={filters.vars} onChange={(v) => set("vars", v)} />
      {active > 0 && (
        <button type="button" className="link small" onClick={() => onChange(emptyFilters)}>
          Clear filters ({active})
        </button>
      )}
    </div>
  );
});
