/**
 * Small HTML checks for page tests, without a DOM: templates escape every < in text and every " in
 * attribute values, so `<name ...>` runs are real tags and quoted values hold no quotes.
 */

/** Every start tag of the page, e.g. `<input id="x" name="y">`. */
export function startTags(html: string): string[] {
  return html.match(/<[a-zA-Z][^>]*>/g) ?? [];
}

/** Start tags whose name is `name`. */
export function tagsNamed(html: string, name: string): string[] {
  return startTags(html).filter((tag) => new RegExp(`^<${name}[\\s>/]`, 'i').test(tag));
}

/** The value of `attribute` in a start tag, unescaped; undefined when absent. */
export function attr(tag: string, attribute: string): string | undefined {
  const match = new RegExp(`\\s${attribute}="([^"]*)"`, 'i').exec(tag);
  return match === null ? undefined : unescapeHtml(match[1]);
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#34;/g, '"')
    .replace(/&amp;/g, '&');
}

/** What the strict CSP forbids or the page must never carry, listed so a failure shows the culprit. */
export function inlineCodeProblems(html: string): string[] {
  const problems: string[] = [];
  for (const tag of startTags(html)) {
    const bare = tag.replace(/"[^"]*"/g, '""');
    if (/\sstyle\s*=/i.test(bare)) problems.push(`style attribute: ${tag}`);
    if (/\son[a-z]+\s*=/i.test(bare)) problems.push(`event handler attribute: ${tag}`);
    if (/^<script/i.test(tag) && !/\ssrc=/i.test(bare)) problems.push(`inline script: ${tag}`);
    if (/^<style/i.test(tag)) problems.push(`style element: ${tag}`);
    if (/javascript:/i.test(tag)) problems.push(`javascript: URL: ${tag}`);
  }
  return problems;
}

/** Text between the tags (entities decoded), whitespace collapsed. */
export function textOf(html: string): string {
  return unescapeHtml(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** The inner HTML of the first element with this id (elements of the same name may nest). */
export function elementById(html: string, id: string): string | undefined {
  const open = new RegExp(`<([a-zA-Z0-9]+)[^>]*\\sid="${id}"[^>]*>`).exec(html);
  if (open === null) return undefined;
  const name = open[1];
  const pattern = new RegExp(`<(/?)${name}[\\s>]`, 'gi');
  pattern.lastIndex = open.index + open[0].length;
  let depth = 1;
  for (let m = pattern.exec(html); m !== null; m = pattern.exec(html)) {
    depth += m[1] === '/' ? -1 : 1;
    if (depth === 0) return html.slice(open.index + open[0].length, m.index);
  }
  return undefined;
}
