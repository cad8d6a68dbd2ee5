/**
 * A JSON body that names a field twice in one object (`{"value": "v",
 * "value": "v2"}`): JSON.parse keeps the last, so a booth's block held a value
 * the client may not have meant, with no word (RFC 8259 leaves what a parser
 * does with it open; another in front of the API may keep the first). The
 * API refuses it, as it refuses a query parameter given twice (a probe,
 * 2026-12-03).
 */

function isJsonSpace (code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
}

/** The index of the quote that ends the string whose opening quote is at `open`. */
function stringEnd (text: string, open: number): number {
  let quote = text.indexOf('"', open + 1)
  for (;;) {
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++
    // an even run of backslashes escapes itself, not the quote
    if (backslashes % 2 === 0) return quote
    quote = text.indexOf('"', quote + 1)
  }
}

/**
 * The first field name `text` gives twice in one object, as JSON.parse reads
 * it (`"a"` and `"\u0061"` are one name), or undefined. `text` must be valid
 * JSON (parsed first): it is scanned, not checked.
 */
export function duplicateKey (text: string): string | undefined {
  // per open object the names seen so far; null for an array
  const open: Array<Set<string> | null> = []
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0x22) {
      const end = stringEnd(text, i)
      let next = end + 1
      while (isJsonSpace(text.charCodeAt(next))) next++
      const names = open[open.length - 1]
      // a string followed by ':' is a field name (valid JSON has no other)
      if (text.charCodeAt(next) === 0x3a && names != null) {
        const raw = text.slice(i + 1, end)
        const name = raw.includes('\\') ? JSON.parse(`"${raw}"`) as string : raw
        if (names.has(name)) return name
        names.add(name)
      }
      i = end
    } else if (code === 0x7b) {
      open.push(new Set())
    } else if (code === 0x5b) {
      open.push(null)
    } else if (code === 0x7d || code === 0x5d) {
      open.pop()
    }
  }
  return undefined
}
