// Pure shaping of `Stats` into what the dashboard's charts draw: calls per day stacked by
// status, the daily objective rate with its Wilson interval, and durations in display bins.
// Kept free of React and uPlot so they are easy to test.

import type { Stats } from "../../api/types";
import { localDayStart } from "../calls/viewState";

/**
 * Epoch seconds of the local midnight that starts day "YYYY-MM-DD" (uPlot's time axis is in
 * seconds and drawn in local time): the back end's days are local days, and the log's day filter
 * starts at the same instant, so a bar's tick is labelled with its own day, DST included.
 */
export function daySeconds(day: string): number {
  return (localDayStart(day) ?? Number.NaN) / 1000;
}

export interface Stacked {
  days: string[];
  x: number[];
  /** statuses, most calls first */
  statuses: string[];
  /** for each status, the running total up to and including it, per day (the bar's top) */
  tops: number[][];
}

export function stackByStatus(byDay: Stats["by_day"]): Stacked {
  const totals = new Map<string, number>();
  for (const d of byDay) for (const [s, n] of Object.entries(d.by_status)) totals.set(s, (totals.get(s) ?? 0) + n);
  const statuses = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
  const running = byDay.map(() => 0);
  const tops = statuses.map((s) =>
    byDay.map((d, i) => {
      running[i] = (running[i] ?? 0) + (d.by_status[s] ?? 0);
      return running[i];
    }),
  );
  return { days: byDay.map((d) => d.day), x: byDay.map((d) => daySeconds(d.day)), statuses, tops };
}

/** Wilson score interval at 95% for `k` of `n`; nulls when n is 0. */
export function wilson(k: number, n: number): { rate: number | null; low: number | null; high: number | null } {
  if (n <= 0) return { rate: null, low: null, high: null };
  const z = 1.96;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { rate: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** The achieved share per day (of all calls that day), with its interval. */
export function dailyRate(byDay: Stats["by_day"]): { x: number[]; rate: (number | null)[]; low: (number | null)[]; high: (number | null)[] } {
  const r = byDay.map((d) => wilson(d.achieved, d.calls));
  return {
    x: byDay.map((d) => daySeconds(d.day)),
    rate: r.map((w) => w.rate),
    low: r.map((w) => w.low),
    high: r.map((w) => w.high),
  };
}

/** Durations regrouped into at most `bins` equal bins up to the p99-ish end (the rest in the last). */
export function durationBins(histogram: Stats["duration"]["histogram"], bins = 30): { x: number[]; calls: number[]; width: number } {
  if (histogram.length === 0) return { x: [], calls: [], width: 0 };
  const total = histogram.reduce((n, b) => n + b.calls, 0);
  let seen = 0;
  let end = histogram[histogram.length - 1]?.to ?? 0;
  for (const b of histogram) {
    seen += b.calls;
    if (seen >= total * 0.99) {
      end = b.to;
      break;
    }
  }
  const width = Math.max(1, Math.ceil(end / bins));
  const n = Math.max(1, Math.ceil(end / width));
  const calls = new Array<number>(n).fill(0);
  for (const b of histogram) {
    const i = Math.min(n - 1, Math.floor(b.from / width));
    calls[i] = (calls[i] ?? 0) + b.calls;
  }
  return { x: calls.map((_, i) => i * width), calls, width };
}
