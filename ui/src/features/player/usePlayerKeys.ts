// Keyboard shortcuts for the player while a call is open: Space play/pause, ←/→ ∓5 s,
// Shift+←/→ ∓15 s, [ / ] slower/faster. Keys typed into fields are left alone, and Escape is
// never touched (the detail view uses it to go back).

import { useEffect, useRef } from "react";
import { isTypingTarget } from "../../app/hooks";
import type { Player } from "./usePlayer";

/** Space on a button outside the player keeps its usual meaning (press the button). */
function spaceBelongsToTarget(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  const control = target.closest("button, a[href], [role='button'], summary");
  return control !== null && control.closest("[data-player-controls]") === null;
}

export function usePlayerKeys(player: Player, enabled: boolean): void {
  const latest = useRef(player);
  useEffect(() => {
    latest.current = player;
  });

  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTypingTarget(e.target)) return;
      const p = latest.current;
      switch (e.key) {
        case " ":
        case "Spacebar":
          if (spaceBelongsToTarget(e.target)) return;
          e.preventDefault();
          if (!e.repeat) p.toggle();
          return;
        case "ArrowLeft":
          e.preventDefault();
          p.skip(e.shiftKey ? -15 : -5);
          return;
        case "ArrowRight":
          e.preventDefault();
          p.skip(e.shiftKey ? 15 : 5);
          return;
        case "[":
          e.preventDefault();
          p.slower();
          return;
        case "]":
          e.preventDefault();
          p.faster();
          return;
      }
    };
    // Some engines press a focused button on Space's keyup: stop that for the player's own buttons.
    const onKeyUp = (e: KeyboardEvent) => {
      if ((e.key === " " || e.key === "Spacebar") && !isTypingTarget(e.target) && !spaceBelongsToTarget(e.target)) {
        e.preventDefault();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("keyup", onKeyUp);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("keyup", onKeyUp);
    };
  }, [enabled]);
}
