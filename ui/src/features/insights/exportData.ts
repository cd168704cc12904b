// The dashboard's tables as CSV, and the file names its exports get. Pure functions, tested.
//
// Campaign names, variable values and assistant numbers come from webhook payloads, so anyone who
// can post to the webhook chooses them: a cell a spreadsheet would read as a formula (starting
// with = + - @, a tab or a carriage return) is neutralised with a leading apostrophe, unless it is
// exactly a phone number (+1 555 …), as the CLI's CSV export does.

import type { Stats } from "../../api/types";

const PHONE = /^\+[0-9 ()./-]{3,}$/;

/** One CSV cell: quoted when needed, formulas neutralised. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s) && !PHONE.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** The tables behind each dashboard section. */
export const tables = {
  days(s: Stats): string {
    const statuses = [...new Set(s.by_day.flatMap((d) => Object.keys(d.by_status)))].sort();
    return toCsv(
      ["day", "calls", "achieved", ...statuses],
      s.by_day.map((d) => [d.day, d.calls, d.achieved, ...statuses.map((st) => d.by_status[st] ?? 0)]),
    );
  },
  durations(s: Stats): string {
    return toCsv(
      ["from_seconds", "to_seconds", "calls"],
      s.duration.histogram.map((b) => [b.from, b.to, b.calls]),
    );
  },
  hours(s: Stats): string {
    return toCsv(
      ["weekday", "hour", "calls"],
      s.by_hour.map((c) => [WEEKDAYS[c.weekday] ?? String(c.weekday), c.hour, c.calls]),
    );
  },
  campaigns(s: Stats): string {
    return toCsv(
      ["campaign", "calls", "achieved", "rate"],
      s.by_campaign.map((c) => [c.campaign ?? "", c.calls, c.achieved, c.rate]),
    );
  },
  assistants(s: Stats): string {
    return toCsv(
      ["assistant", "calls", "achieved", "rate"],
      s.by_assistant.map((a) => [a.assistant ?? "", a.calls, a.achieved, a.rate]),
    );
  },
  review(s: Stats): string {
    return toCsv(["day", "reviewed", "flagged"], s.review.map((d) => [d.day, d.reviewed, d.flagged]));
  },
  variables(s: Stats): string {
    return toCsv(
      ["variable", "filled", "fill_rate", "top_values", "numeric_values", "median", "p90", "mean"],
      s.variables.map((v) => [
        v.name,
        v.filled,
        v.fill_rate,
        v.free_text ? "" : v.top.map((t) => `${t.value} (${t.count})`).join("; "),
        v.numbers?.count ?? "",
        v.numbers?.median ?? "",
        v.numbers?.p90 ?? "",
        v.numbers?.mean ?? "",
      ]),
    );
  },
};

/** `postcall-<what>-<from>-<to>.<ext>`, from the filters' dates when set. */
export function exportName(what: string, ext: string, from?: string | null, to?: string | null): string {
  const range = [from, to].filter((d): d is string => !!d).join("-to-");
  return `postcall-${what}${range ? `-${range}` : ""}.${ext}`;
}

/** An SVG element as a standalone file (namespaces and the computed fills are inline already). */
export function svgFile(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
