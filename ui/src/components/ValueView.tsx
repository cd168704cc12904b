// Renders any JSON value from a payload by type. Strings are text nodes, never markup.

import { useState } from "react";
import type { Json } from "../api/types";

export function ValueView({ value }: { value: Json }) {
  if (value === null) return <span className="v-null">null</span>;
  if (typeof value === "boolean")
    return value ? <span className="v-yes">✓ yes</span> : <span className="v-no">✗ no</span>;
  if (typeof value === "number") return <span className="v-num">{String(value)}</span>;
  if (typeof value === "string")
    return value === "" ? <span className="v-null">(empty)</span> : <span className="v-str">{value}</span>;
  return <ValueTree value={value} />;
}

function ValueTree({ value }: { value: Json[] | { [key: string]: Json } }) {
  const [open, setOpen] = useState(false);
  const isArray = Array.isArray(value);
  const entries: [string, Json][] = isArray ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  if (entries.length === 0) return <span className="v-null">{isArray ? "[]" : "{}"}</span>;
  const n = entries.length;
  const summary = isArray ? `[${n} ${n === 1 ? "item" : "items"}]` : `{${n} ${n === 1 ? "key" : "keys"}}`;
  return (
    <span className="v-tree">
      <button type="button" className="v-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <span className="v-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        {summary}
      </button>
      {open && (
        <span className="v-children">
          {entries.map(([k, v]) => (
            <span className="v-entry" key={k}>
              <span className="v-key">{k}</span>
              <ValueView value={v} />
            </span>
          ))}
        </span>
      )}
    </span>
  );
}

interface TableProps {
  vars: { [key: string]: Json };
  label: string;
  empty?: string;
}

export function VariablesTable({ vars, label, empty = "None" }: TableProps) {
  const entries = Object.entries(vars);
  if (entries.length === 0) return <p className="dim small">{empty}</p>;
  return (
    <table className="kv" aria-label={label}>
      <tbody>
        {entries.map(([key, v]) => (
          <tr key={key} data-testid="variable-row" data-name={key}>
            <th scope="row">{key}</th>
            <td className={typeof v === "number" ? "num" : undefined}>
              <ValueView value={v} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
