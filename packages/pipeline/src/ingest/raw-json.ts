/**
 * Finds the exact source text of values inside a JSON document, so that each invalid item of a batch can
 * be dead-lettered verbatim (re-serialising a parsed item could change its bytes, e.g. `1.50` → `1.5`).
 * The input must already have passed JSON.parse; these functions only locate spans.
 */

function skipSpace(text: string, index: number): number {
  let i = index;
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r"))
    i += 1;
  return i;
}

/** Index just after the JSON value that starts at `start`. */
function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first === '"') {
    let i = start + 1;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    return i + 1;
  }
  if (first === "{" || first === "[") {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = valueEnd(text, i);
        continue;
      }
      if (c === "{" || c === "[") depth += 1;
      else if (c === "}" || c === "]") {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    return i;
  }
  let i = start;
  while (i < text.length && !",]} \t\r\n".includes(text[i] as string)) i += 1;
  return i;
}

/** Source text of each item of the top-level array (or of the array at `start`). */
export function arrayItemTexts(text: string, start = skipSpace(text, 0)): string[] {
  if (text[start] !== "[") throw new Error("not an array");
  const items: string[] = [];
  let i = skipSpace(text, start + 1);
  if (text[i] === "]") return items;
  while (i < text.length) {
    i = skipSpace(text, i);
    const end = valueEnd(text, i);
    items.push(text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] !== ",") break;
    i += 1;
  }
  return items;
}

/** Start index of the value of `key` in the top-level object (the last one, as JSON.parse keeps). */
export function memberValueStart(text: string, key: string): number | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") return undefined;
  let found: number | undefined;
  i = skipSpace(text, i + 1);
  if (text[i] === "}") return undefined;
  while (i < text.length) {
    i = skipSpace(text, i);
    const keyEnd = valueEnd(text, i);
    const name: unknown = JSON.parse(text.slice(i, keyEnd));
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    if (name === key) found = i;
    i = skipSpace(text, valueEnd(text, i));
    if (text[i] !== ",") break;
    i += 1;
  }
  return found;
}
