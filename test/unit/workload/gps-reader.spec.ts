/**
 * The GPS data set reader. The bundled data set has CRLF line endings (its
 * values were committed with the CR: a review); a data set that is empty, header-only or holds a malformed line must
 * be refused clearly (or the line skipped), not turn into fixes with NaN
 * coordinates, an `undefined` header, or a TypeError in gpsTransaction later.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GPS_DATASET, GpsDataSetError, gpsTransaction, loadGpsFixes } from '../../../src/workload/gps.ts'

const HEADER = 'timestamp,latitude,longitude,elevation'
const dirs: string[] = []
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

async function dataSet (text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vguard-gps-test-'))
  dirs.push(dir)
  const path = join(dir, 'gps.csv')
  await writeFile(path, text)
  return path
}

describe('workload - GPS data set reader', () => {
  it('the bundled data set has CRLF line endings, and a transaction stores the CSV line without the CR', () => {
    expect(readFileSync(GPS_DATASET, 'utf8')).toContain('\r\n')
    const { header, fixes, skipped } = loadGpsFixes()
    // every line of the trip is a fix (the demo says 1467)
    expect([fixes.length, skipped]).toEqual([1467, 0])
    expect(header.endsWith('\r')).toBe(false)
    expect(fixes[0].line.endsWith('\r')).toBe(false)
    // what the demo and the benchmarks commit: gps/<ts> → the line
    const value = new TextDecoder().decode(gpsTransaction(0).value)
    expect(value.endsWith('\r')).toBe(false)
    // a replayed lap too
    const lap = new TextDecoder().decode(gpsTransaction(fixes.length).value)
    expect(lap.endsWith('\r')).toBe(false)
  })

  it('a malformed or truncated line is skipped and counted, not a fix with NaN coordinates', async () => {
    const path = await dataSet(`${HEADER}\n1577218696.999,-27.7,-51.09,948\n1577218698.999,not-a-number,-51.09,1\n1577218699.999\n1577218700.999,-27.8,-51.1,950\n`)
    const { fixes, skipped } = loadGpsFixes(path)
    expect(fixes.map(f => f.timestamp)).toEqual([1577218696.999, 1577218700.999])
    expect(skipped).toBe(2)
    for (const f of fixes) {
      expect(Number.isFinite(f.latitude), f.line).toBe(true)
      expect(Number.isFinite(f.longitude), f.line).toBe(true)
    }
  })

  it('an empty or header-only data set is refused with a clear error, not an undefined header and zero fixes', async () => {
    for (const text of ['', `${HEADER}\n`]) {
      const path = await dataSet(text)
      expect(() => loadGpsFixes(path), JSON.stringify(text)).toThrow(GpsDataSetError)
      expect(() => loadGpsFixes(path), JSON.stringify(text)).toThrow(path)
    }
  })
})
