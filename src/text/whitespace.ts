/** Python-whitespace handling of sklearn's char analyzers (`\s\s+` → ' ', `str.split()`). */
import type { PythonUnicode } from './unicode';

function isSpaceAt(text: string, i: number, uni: PythonUnicode): boolean {
  // Every Python whitespace character is in the BMP; a surrogate unit is never whitespace.
  return uni.space.hasUnit(text.charCodeAt(i));
}

/** `re.sub(r"\s\s+", " ", text)`: runs of two or more whitespace characters become one space. */
export function collapseWhitespace(text: string, uni: PythonUnicode): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (!isSpaceAt(text, i, uni)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && isSpaceAt(text, j, uni)) j++;
    if (j - i >= 2) {
      out += text.slice(start, i) + ' ';
      start = j;
    }
    i = j;
  }
  return start === 0 ? text : out + text.slice(start);
}

/** `text.split()`: the non-empty runs between Python whitespace. */
export function splitWhitespace(text: string, uni: PythonUnicode): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpaceAt(text, i, uni)) i++;
    if (i >= text.length) break;
    const start = i;
    while (i < text.length && !isSpaceAt(text, i, uni)) i++;
    words.push(text.slice(start, i));
  }
  return words;
}
