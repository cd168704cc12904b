// The first call opened in a session was its slowest opening: laying out the detail met weights
// and sizes of the system fonts that the log never used, and WebKit looked up, loaded and measured
// each of them inside that click (bench-desktop at a million calls: 108–181 ms for the first
// opening, 75–108 ms with this, 30–98 ms for the others). This lays them out once, hidden, a moment
// after launch, when nobody waits on the window, and removes them again.

import { useEffect, useLayoutEffect, useRef, useState } from "react";
import "./detail.css";

/** After launch: the first rows are painted by then, and a person has not clicked yet. */
export const WARM_AFTER_MS = 1500;

/**
 * The faces an opened call lays out that the log does not: each is a fontconfig lookup and a
 * face to load, so only these (read off the detail with getComputedStyle; a wider grid of every
 * weight and size cost ~600 ms of CPU for no further gain).
 */
const FACES: readonly [family: "font" | "mono", weight: number, size: number][] = [
  ["font", 400, 11],
  ["font", 500, 11.5],
  ["font", 500, 13],
  ["font", 600, 11],
  ["font", 600, 12],
  ["mono", 400, 10],
  ["mono", 500, 12],
  ["mono", 600, 19],
];
const SAMPLE = "Assistant Customer 0123456789 EXTRACTED VARIABLES yes no";

type Phase = "wait" | "lay" | "done";

export function FaceWarmup({ after = WARM_AFTER_MS }: { after?: number }) {
  const [phase, setPhase] = useState<Phase>("wait");
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (phase === "done") return;
    const t = setTimeout(() => setPhase(phase === "wait" ? "lay" : "done"), phase === "wait" ? after : 0);
    return () => clearTimeout(t);
  }, [phase, after]);

  // Reading a layout value lays the text out now: the faces are found and measured here.
  useLayoutEffect(() => {
    if (phase === "lay" && box.current && box.current.offsetHeight < 0) setPhase("done");
  }, [phase]);

  if (phase !== "lay") return null;
  return (
    <div ref={box} className="face-warmup" aria-hidden="true" data-testid="face-warmup">
      {FACES.map(([family, fontWeight, size]) => (
        <span
          key={`${family}-${fontWeight}-${size}`}
          style={{ fontFamily: `var(--${family})`, fontWeight, fontSize: `${size}px` }}
        >
          {SAMPLE}
        </span>
      ))}
    </div>
  );
}
