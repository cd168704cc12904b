// A uPlot chart as a React component: created once per set of options, fed new data without
// being rebuilt, resized with its box, destroyed on unmount. `onPick` receives the index of the
// point (day, bin) under the cursor when the plot is clicked. uPlot itself is loaded with the
// first chart (its own chunk), so the call log's start-up does not carry it.

import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

interface Props {
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height?: number;
  label: string;
  onPick?: (index: number) => void;
}

/**
 * uPlot builds an `Intl.NumberFormat(navigator.language)` when it loads. Under a POSIX locale
 * (LANG=C, as on minimal systems and services) WebKitGTK reports the language as "C", which is
 * not a language tag, and the load throws: every chart would be missing. Such a system gets
 * "en-US" for the charts' numbers instead.
 */
export function ensureLanguageTag(nav: Navigator = navigator): void {
  try {
    new Intl.NumberFormat(nav.language);
  } catch {
    Object.defineProperty(nav, "language", { value: "en-US", configurable: true });
  }
}

const DAY = 86_400;

/**
 * The x range to set on a time chart whose points all fall on one x (a range of one day): a week
 * around it. Left alone, uPlot widens such an axis by 86,400 of its time units, which for
 * seconds is 1,000 days, so a single day's bar sat at the edge of an axis spanning years. Null
 * when the data has no points or more than one x, and uPlot's own range is right.
 */
export function singleXRange(xs: ArrayLike<number>): { min: number; max: number } | null {
  const first = xs[0];
  if (first === undefined || xs[xs.length - 1] !== first) return null;
  return { min: first - 3.5 * DAY, max: first + 3.5 * DAY };
}

/** Sets the week around a single day on a time chart (see `singleXRange`). */
function fitSingleX(u: uPlot, data: uPlot.AlignedData) {
  const range = u.scales.x?.time ? singleXRange(data[0]) : null;
  if (range) u.setScale("x", range);
}

/** The loaded library, once the first chart brought it in (for its path builders). */
let loaded: typeof uPlot | null = null;

/** Bars for a uPlot series. Resolved when drawn, since the library loads with the first chart. */
export function barPaths(u: uPlot, seriesIdx: number, idx0: number, idx1: number): uPlot.Series.Paths | null {
  const bars = loaded?.paths.bars;
  return bars ? bars({ size: [0.8, 40] })(u, seriesIdx, idx0, idx1) : null;
}

export function UPlotChart({ options, data, height = 180, label, onPick }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const pick = useRef(onPick);
  const latest = useRef(data);
  useEffect(() => {
    pick.current = onPick;
    latest.current = data;
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let cleanup: (() => void) | null = null;
    let cancelled = false;
    ensureLanguageTag();
    void import("uplot").then(({ default: UPlot }) => {
      loaded = UPlot;
      if (cancelled) return;
      // The data as of now: it may have changed while uPlot was loading.
      const u = new UPlot({ ...options, width: Math.max(200, el.clientWidth), height }, latest.current, el);
      plot.current = u;
      fitSingleX(u, latest.current);
      const click = () => {
        const i = u.cursor.idx;
        if (i !== null && i !== undefined) pick.current?.(i);
      };
      u.over.addEventListener("click", click);
      const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
      resize.observe(el);
      cleanup = () => {
        resize.disconnect();
        u.over.removeEventListener("click", click);
        u.destroy();
        plot.current = null;
      };
    });
    return () => {
      cancelled = true;
      cleanup?.();
    };
  }, [options, height]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data);
    fitSingleX(u, data);
  }, [data]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
