// Marks search terms inside payload text. Output is React text nodes and <mark> elements only.

/** Words of a search box entry, without FTS syntax characters. */
export function searchTerms(query: string): string[] {
  const words = query
    .replace(/["*()^:]/g, " ")
    .split(/\s+/)
    .map((w) => w.trim())
    .filter((w) => w.length > 0 && !/^(AND|OR|NOT|NEAR)$/.test(w));
  return [...new Set(words.map((w) => w.toLowerCase()))];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface Piece {
  text: string;
  hit: boolean;
}

/** Split `text` on case-insensitive matches of any term. */
export function splitOnTerms(text: string, terms: string[]): Piece[] {
  if (terms.length === 0 || text.length === 0) return [{ text, hit: false }];
  const sorted = [...terms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const re = new RegExp(`(${sorted.join("|")})`, "gi");
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    if (m[0].length === 0) continue;
    if (start > last) pieces.push({ text: text.slice(last, start), hit: false });
    pieces.push({ text: m[0], hit: true });
    last = start + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), hit: false });
  return pieces;
}

/**
 * `text` without U+0002 and U+0003, the code points search snippets mark hits with. The core
 * already removes them from payload text before marking; dropping them here too means a payload
 * can never make text look like a hit, whichever path a snippet came by.
 */
export function withoutMarks(text: string): string {
  return text.replaceAll("\u0002", "").replaceAll("\u0003", "");
}

export function Marked({ parts }: { parts: Piece[] }) {
  return (
    <>
      {parts.map((p, i) =>
        p.hit ? <mark key={i}>{withoutMarks(p.text)}</mark> : <span key={i}>{withoutMarks(p.text)}</span>,
      )}
    </>
  );
}

export function Highlight({ text, terms }: { text: string; terms: string[] }) {
  return <Marked parts={splitOnTerms(withoutMarks(text), terms)} />;
}
