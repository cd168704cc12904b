// Windowing for long transcripts: a one-hour call has ~2,400 turns, and laying all of them out
// took the window about 2 s to open the call. Only the rows in view (plus a margin above and
// below) are in the DOM; the rest of the list is padding of their estimated, then measured,
// height, so the scrollbar and scroll position behave as if every row were there.
//
// Hand-written rather than a library: rows are a turn followed by the notes pinned to it (flat
// siblings in one <ol>, so a note stays right after its turn), the list scrolls either inside
// its own box (with a recording) or with the whole detail page, and following playback needs to
// tell our own scrolling from the user's. That is ~150 lines here against a dependency that
// would still need all of it wired around it.

import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from "react";

/** Transcripts shorter than this are rendered whole (cheap, and select-all copies them). */
export const WINDOW_FROM = 120;
/** Height (px) of a row before it has been measured: a one-line turn with its gap. */
const ESTIMATE = 62;
/** Rows are rendered this far (px) above and below the visible part. */
const OVERSCAN = 700;
/** The visible height assumed while there is no layout (hidden, or under test). */
const FALLBACK_VIEW = 900;

export interface TurnWindow {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
  /** Brings row `pos` into view: centred, or only if out of view ("nearest"). Returns the new scrollTop when it scrolled. */
  scrollTo: (pos: number, how: "center" | "nearest") => number | null;
  /** The rendered <li> of row `pos` (pass as `ref` to each turn). */
  rowRef: (pos: number) => (el: HTMLLIElement | null) => void;
}

function scrollParent(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowY;
    if (o === "auto" || o === "scroll") return p;
  }
  return null;
}

/** Scroll `box` (only) so `el` is in view; "nearest" leaves it when it already is, else centres it. */
export function keepInView(box: HTMLElement, el: HTMLElement, how: "center" | "nearest" = "nearest"): number | null {
  const boxRect = box.getBoundingClientRect();
  const elRect = el.getBoundingClientRect();
  const top = elRect.top - boxRect.top + box.scrollTop;
  const bottom = top + elRect.height;
  if (how === "nearest" && top >= box.scrollTop && bottom <= box.scrollTop + box.clientHeight) return null;
  box.scrollTop = Math.max(0, top - (box.clientHeight - elRect.height) / 2);
  return box.scrollTop;
}

/**
 * The rows of a list of `count` to render. `onOwnScroll` hears every scrollTop this hook sets,
 * so a "did the user scroll?" check can ignore it.
 */
interface Band {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

export function useTurnWindow(
  count: number,
  list: RefObject<HTMLOListElement | null>,
  onOwnScroll: (top: number) => void,
  /** the row to open at (a search hit's turn): the first render is already its neighbourhood */
  initialPos: number | null = null,
): TurnWindow {
  const on = count >= WINDOW_FROM;
  const opening = on && initialPos !== null && initialPos >= 0 && initialPos < count ? initialPos : null;
  // Row heights (estimated until measured) and their running sums: tops[i] is where row i starts.
  const heights = useRef<Float64Array>(new Float64Array(0));
  const tops = useRef<Float64Array>(new Float64Array(1));
  const rows = useRef(new Map<number, HTMLLIElement>());
  const box = useRef<HTMLElement | null>(null);
  const pending = useRef<{ pos: number; how: "center" | "nearest" } | null>(null);
  const own = useRef(onOwnScroll);
  // Without a scroll box (no layout), where the assumed view starts.
  const openTop = opening === null ? 0 : Math.max(0, opening * ESTIMATE - FALLBACK_VIEW / 2);
  const fallbackTop = useRef(openTop);
  // The row to centre once the scroll box is known (the first layout), before the band follows it.
  const initial = useRef(opening);
  // The first render draws the rows the call opens at (its top, or around a hit's turn far down
  // it) at their estimated place: the first frame needs no second render and layout to get there.
  const [band, setBand] = useState<Band>(() => {
    if (!on) return { start: 0, end: count, padTop: 0, padBottom: 0 };
    // What `update` will find before the first layout: the assumed view with every row estimated.
    const a = openTop - OVERSCAN;
    const z = openTop + FALLBACK_VIEW + OVERSCAN;
    const start = Math.min(Math.max(0, Math.floor(a / ESTIMATE)), count - 1);
    const end = Math.min(count, Math.floor(z / ESTIMATE) + 1);
    return { start, end, padTop: start * ESTIMATE, padBottom: (count - end) * ESTIMATE };
  });

  useLayoutEffect(() => {
    own.current = onOwnScroll;
  }, [onOwnScroll]);

  const at = (a: Float64Array, i: number) => a[i] ?? 0;
  const retop = (from: number) => {
    const t = tops.current;
    const h = heights.current;
    for (let i = from; i < h.length; i++) t[i + 1] = at(t, i) + at(h, i);
  };

  /** First row whose bottom is below `y`. */
  const rowAt = (y: number) => {
    const t = tops.current;
    let lo = 0;
    let hi = heights.current.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at(t, mid + 1) <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** The list's visible band, in list coordinates. */
  const view = (): [number, number] => {
    const l = list.current;
    const b = box.current;
    if (!l || !b || b.clientHeight === 0) return [fallbackTop.current, fallbackTop.current + FALLBACK_VIEW];
    const y = b.getBoundingClientRect().top - l.getBoundingClientRect().top;
    return [y, y + b.clientHeight];
  };

  const update = useCallback(() => {
    const n = heights.current.length;
    if (n < WINDOW_FROM) return;
    const [a, z] = view();
    const start = Math.min(rowAt(a - OVERSCAN), Math.max(0, n - 1));
    const end = Math.min(n, rowAt(z + OVERSCAN) + 1);
    const t = tops.current;
    const next = { start, end, padTop: at(t, start), padBottom: at(t, n) - at(t, end) };
    setBand((b) =>
      b.start === next.start && b.end === next.end && b.padTop === next.padTop && b.padBottom === next.padBottom
        ? b
        : next,
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reads refs only
  }, []);

  // Sizes follow the row count (a new call, or turns appended by a redelivery).
  useLayoutEffect(() => {
    if (heights.current.length === count) return;
    const h = new Float64Array(count).fill(ESTIMATE);
    h.set(heights.current.subarray(0, Math.min(count, heights.current.length)));
    heights.current = h;
    tops.current = new Float64Array(count + 1);
    retop(0);
    update();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reads refs only
  }, [count, update]);

  // Find the scroll box once mounted; follow its scrolling and resizing.
  useLayoutEffect(() => {
    const l = list.current;
    if (!l) return;
    const b = scrollParent(l);
    box.current = b;
    if (!on) return;
    const first = initial.current;
    initial.current = null;
    const el = first === null ? undefined : rows.current.get(first);
    if (b && el && b.clientHeight > 0) {
      const top = keepInView(b, el, "center");
      if (top !== null) own.current(top);
    }
    update();
    if (!b) return;
    b.addEventListener("scroll", update, { passive: true });
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(update);
    ro?.observe(b);
    return () => {
      b.removeEventListener("scroll", update);
      ro?.disconnect();
      box.current = null;
    };
  }, [on, list, update]);

  // After each render: measure the rendered rows, keep what is in view still, finish a pending scroll.
  useLayoutEffect(() => {
    const l = list.current;
    if (!on || !l) return;
    const { start, end } = band;
    const b = box.current;
    const gap = parseFloat(getComputedStyle(l).rowGap) || 0;
    const viewTop = view()[0];
    let shift = 0;
    let changed = -1;
    let prevTop: number | null = null;
    let prevPos = -1;
    const setHeight = (pos: number, h: number) => {
      const old = at(heights.current, pos);
      if (h <= 0 || Math.abs(old - h) < 0.5) return;
      // Rows wholly above the view push what is in view down: scroll by as much to keep it still.
      if (at(tops.current, pos + 1) <= viewTop) shift += h - old;
      heights.current[pos] = h;
      if (changed < 0) changed = pos;
    };
    for (let pos = start; pos < end; pos++) {
      const el = rows.current.get(pos);
      if (!el) continue;
      const top = el.getBoundingClientRect().top;
      if (prevTop !== null && prevPos === pos - 1) setHeight(prevPos, top - prevTop);
      prevTop = top;
      prevPos = pos;
    }
    const last = l.lastElementChild;
    if (prevTop !== null && last) setHeight(prevPos, last.getBoundingClientRect().bottom - prevTop + gap);
    if (changed >= 0) {
      retop(changed);
      if (b && shift !== 0 && !pending.current) {
        b.scrollTop += shift;
        own.current(b.scrollTop);
      }
    }
    const p = pending.current;
    if (p && p.pos >= start && p.pos < end) {
      const el = rows.current.get(p.pos);
      pending.current = null;
      if (b && el) {
        const top = keepInView(b, el, p.how);
        if (top !== null) own.current(top);
      }
    }
    if (changed >= 0 || p) update();
  });

  const scrollTo = useCallback(
    (pos: number, how: "center" | "nearest"): number | null => {
      const b = box.current;
      const el = rows.current.get(pos);
      if (el && b) return keepInView(b, el, how);
      if (heights.current.length < WINDOW_FROM) {
        el?.scrollIntoView({ block: how });
        return null;
      }
      if (!b || b.clientHeight === 0) {
        fallbackTop.current = Math.max(0, at(tops.current, pos) - FALLBACK_VIEW / 2);
        update();
        return null;
      }
      // Not rendered: jump to where its estimate puts it; the real row is centred once drawn.
      const l = list.current;
      const listTop = l ? l.getBoundingClientRect().top - b.getBoundingClientRect().top + b.scrollTop : 0;
      const h = at(heights.current, pos);
      b.scrollTop = Math.max(0, listTop + at(tops.current, pos) - (b.clientHeight - h) / 2);
      pending.current = { pos, how: "center" };
      update();
      return b.scrollTop;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reads refs only
    [update],
  );

  const rowRef = useCallback(
    (pos: number) => (el: HTMLLIElement | null) => {
      if (el) rows.current.set(pos, el);
      else rows.current.delete(pos);
    },
    [],
  );

  if (!on) return { start: 0, end: count, padTop: 0, padBottom: 0, scrollTo, rowRef };
  const end = Math.min(band.end, count);
  return { start: Math.min(band.start, end), end, padTop: band.padTop, padBottom: band.padBottom, scrollTo, rowRef };
}
