// Calls per weekday × hour of the day, local time (the back end's tallies, DST included), as an
// SVG grid: each cell's shade is its share of the busiest cell, and its title says the figure.
// Drawn by hand (168 rects) rather than with a chart library: nothing here needs scales or
// interaction beyond that.

import { forwardRef } from "react";
import type { Stats } from "../../api/types";
import { WEEKDAYS } from "./exportData";

const CELL = 22;
const LEFT = 40;
const TOP = 18;

export const Heatmap = forwardRef<SVGSVGElement, { cells: Stats["by_hour"] }>(function Heatmap({ cells }, ref) {
  const grid = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c.calls]));
  const max = Math.max(1, ...cells.map((c) => c.calls));
  const width = LEFT + 24 * CELL;
  const height = TOP + 7 * CELL;
  return (
    <svg
      ref={ref}
      className="heatmap"
      data-testid="heatmap"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label="Calls by weekday and hour of the day"
    >
      <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
      {Array.from({ length: 24 }, (_, h) =>
        h % 3 === 0 ? (
          <text key={`h${h}`} x={LEFT + h * CELL + CELL / 2} y={12} fontSize={10} textAnchor="middle" fill="#495057">
            {String(h).padStart(2, "0")}
          </text>
        ) : null,
      )}
      {WEEKDAYS.map((day, d) => (
        <g key={day}>
          <text x={LEFT - 6} y={TOP + d * CELL + CELL / 2 + 4} fontSize={11} textAnchor="end" fill="#495057">
            {day}
          </text>
          {Array.from({ length: 24 }, (_, h) => {
            const n = grid.get(`${d}:${h}`) ?? 0;
            const share = n / max;
            return (
              <rect
                key={h}
                data-cell={`${d}:${h}`}
                data-calls={n}
                x={LEFT + h * CELL + 1}
                y={TOP + d * CELL + 1}
                width={CELL - 2}
                height={CELL - 2}
                rx={3}
                fill={n === 0 ? "#f1f3f5" : `rgba(59, 91, 219, ${(0.15 + 0.85 * share).toFixed(3)})`}
              >
                <title>{`${day} ${String(h).padStart(2, "0")}:00–${String((h + 1) % 24).padStart(2, "0")}:00 · ${n} call${n === 1 ? "" : "s"}`}</title>
              </rect>
            );
          })}
        </g>
      ))}
    </svg>
  );
});
