// Display formatting shared by every view: times in the local time zone, durations, counts.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const fullFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const shortFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** "just now", "3 min ago", "5 h ago" within a day; a local date-time beyond that. */
export function formatRelativeTime(ms: number | null, now: number = Date.now()): string {
  if (ms === null) return "–";
  const diff = now - ms;
  if (diff < -MINUTE || diff >= DAY) return shortFormat.format(ms);
  if (diff < MINUTE) return "just now";
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
  return `${Math.floor(diff / HOUR)} h ago`;
}

/** The complete local date and time, for tooltips and headers. */
export function formatDateTime(ms: number | null): string {
  return ms === null ? "–" : fullFormat.format(ms);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Seconds as m:ss (h:mm:ss from an hour on). */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

const countFormat = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return countFormat.format(n);
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(n: number | null): string {
  if (n === null) return "–";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
