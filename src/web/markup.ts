/**
 * Escaping and the one type templates may print unescaped. Templates print everything with
 * `<%= %>`; the only `<%- %>` they use is `x.html` of a `Markup`, which only this folder's builders
 * create after escaping every piece of text that went into it.
 */

export class Markup {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML and SVG content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** A number for an SVG attribute: finite, at most 2 decimals, no exponent. */
export function svgNumber(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** Shorten to at most `max` characters (code points), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, Math.max(1, max - 1))
    .join('')
    .trimEnd()}…`;
}

/** Split on spaces into at most `maxLines` lines of about `width` characters; the last is truncated. */
export function wrapWords(text: string, width: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i];
    const candidate = current === '' ? word : `${current} ${word}`;
    if (Array.from(candidate).length <= width || current === '') {
      current = candidate;
      continue;
    }
    lines.push(current);
    current = word;
    if (lines.length === maxLines - 1) {
      current = words.slice(i).join(' ');
      break;
    }
  }
  if (current !== '') lines.push(current);
  return lines.map((line) => truncate(line, width));
}

/** A probability as a percentage a person reads: 83.4%, <0.1%, >99.9%. */
export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value > 0 && value < 0.001) return '<0.1%';
  if (value < 1 && value > 0.999) return '>99.9%';
  return `${(value * 100).toFixed(1)}%`;
}

/** A metric in [0, 1] with two decimals (0.83). */
export function formatMetric(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '–';
}

/** A signed decision score (+1.234, −0.500). */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const fixed = Math.abs(value).toFixed(3);
  if (Number(fixed) === 0) return fixed;
  return value < 0 ? `−${fixed}` : `+${fixed}`;
}

/** A count with thousands separators (6,090). */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}
