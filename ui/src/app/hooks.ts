import { useEffect, useRef, useState } from "react";
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
