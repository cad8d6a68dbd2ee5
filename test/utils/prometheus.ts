/** Reads one sample from Prometheus text: the metric's value for exactly these labels (undefined when absent). */
export function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match == null) throw new Error(`not a Prometheus sample line: ${line}`)
    if (match[1] !== name) continue
    const found: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]] = pair[2]
    const wanted = Object.entries(labels)
    if (Object.keys(found).length !== wanted.length || wanted.some(([k, v]) => found[k] !== v)) continue
    return Number(match[3])
  }
  return undefined
}

export async function scrape (url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  return await res.text()
}
