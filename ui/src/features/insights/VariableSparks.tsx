// The small figures beside each extracted variable on the dashboard: the distribution of its
// numeric values (a histogram drawn in SVG, with median, p90 and mean) and how its fill rate moved
// day by day over the range. Drawn as React SVG elements: values are never markup.
import type { Day, Numbers, VariableDay } from "../../api/types";

const W = 140;
const H = 28;

/** A short figure: 1234 → "1,234", 0.125 → "0.125", 1.5e6 → "1.5M". */
export function shortNumber(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${+(x / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${+(x / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toFixed(1)}k`;
  return (+x.toPrecision(4)).toLocaleString("en");
}

export function NumberSpark({ numbers }: { numbers: Numbers }) {
  const bins = numbers.histogram;
  const top = Math.max(1, ...bins.map((b) => b.calls));
  const w = W / Math.max(1, bins.length);
  const title = `${numbers.count} numeric values; median ≈ ${numbers.median === null ? "–" : shortNumber(numbers.median)}, p90 ≈ ${
    numbers.p90 === null ? "–" : shortNumber(numbers.p90)
  }, mean ${shortNumber(numbers.mean)}`;
  return (
    <span className="var-spark" data-testid="variable-numbers">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <title>{title}</title>
        {bins.map((b, i) => {
          const h = Math.max(1, (b.calls / top) * (H - 2));
          return (
            <rect key={i} x={i * w + 0.5} y={H - h} width={Math.max(1, w - 1)} height={h} className="var-spark-bar">
              <title>{`${shortNumber(b.from)} – ${shortNumber(b.to)}: ${b.calls}`}</title>
            </rect>
          );
        })}
      </svg>
      <span className="small dim mono">
        median ≈ {numbers.median === null ? "–" : shortNumber(numbers.median)} · p90 ≈{" "}
        {numbers.p90 === null ? "–" : shortNumber(numbers.p90)} · mean {shortNumber(numbers.mean)}
      </span>
    </span>
  );
}

/** The fill rate per day (filled calls over the day's calls) as a line, with first and last. */
export function FillTrend({ days, calls }: { days: VariableDay[]; calls: Day[] }) {
  const perDay = new Map(calls.map((d) => [d.day, d.calls]));
  const points = calls.map((d) => {
    const filled = days.find((v) => v.day === d.day)?.filled ?? 0;
    return d.calls > 0 ? filled / d.calls : 0;
  });
  if (points.length < 2) return <span className="dim small">one day</span>;
  const x = (i: number) => (i / (points.length - 1)) * (W - 2) + 1;
  const y = (r: number) => H - 2 - r * (H - 4);
  const path = points.map((r, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(r).toFixed(1)}`).join(" ");
  const first = points[0] ?? 0;
  const last = points[points.length - 1] ?? 0;
  const label = `fill rate ${Math.round(first * 100)}% on ${calls[0]?.day ?? ""} → ${Math.round(last * 100)}% on ${
    calls[calls.length - 1]?.day ?? ""
  } (${perDay.size} days)`;
  return (
    <span className="var-spark" data-testid="variable-trend">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <title>{label}</title>
        <path d={path} className="var-spark-line" fill="none" />
      </svg>
      <span className="small dim mono">
        {Math.round(first * 100)}% → {Math.round(last * 100)}%
      </span>
    </span>
  );
}
