// Timing marks for `make bench-desktop` (tests/tests/e2e/bench_desktop.rs). The benchmark sets
// `window.__postcallTrace` to an array through WebDriver; each step of a search or of opening a
// call then appends its name and `performance.now()`, so the time from input to painted hits can
// be split into the request, the answer, React's render and commit, and layout. Without the
// array nothing is recorded and nothing is forced.

type Marks = [string, number][];

function marks(): Marks | undefined {
  return typeof window === "undefined" ? undefined : (window as { __postcallTrace?: Marks }).__postcallTrace;
}

/** Records `name` now, when a benchmark is listening. */
export function trace(name: string): void {
  marks()?.push([name, performance.now()]);
}

/** Records `name` after forcing style and layout, so the mark includes them (benchmark only). */
export function traceLayout(name: string): void {
  const m = marks();
  if (!m) return;
  // Reading a layout value makes the engine do the pending style and layout now.
  if (document.body.offsetHeight < 0) return;
  m.push([name, performance.now()]);
}
