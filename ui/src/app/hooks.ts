import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { Unlisten } from "../api/client";

/** Subscribe to a back-end event for the component's lifetime; the latest handler is used. */
export function useSubscription<T>(
  subscribe: (cb: (payload: T) => void) => Promise<Unlisten>,
  handler: (payload: T) => void,
): void {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    let unlisten: Unlisten | null = null;
    let cancelled = false;
    void subscribe((p) => latest.current(p)).then((un) => {
      if (cancelled) un();
      else unlisten = un;
    });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [subscribe]);
}

/** `value`, settled for `ms` milliseconds. */
export function useDebouncedValue<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Whether keyboard shortcuts should leave this key to the focused element. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

/**
 * A window `keydown` handler for as long as `enabled`. The handler is swapped in during the
 * commit (a layout effect), not after paint: a key pressed right after rows appear on screen
 * must see those rows, not the handler of the render before (which dropped the key).
 */
export function useWindowKeys(handler: (e: KeyboardEvent) => void, enabled = true): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useLayoutEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => latest.current(e);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
