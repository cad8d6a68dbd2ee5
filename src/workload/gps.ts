/**
 * The GPS workload: 1,467 fixes of a real vehicle trip (data/gps-dataset.csv,
 * from V-Guard's reference implementation, MIT licensed). One fix is one
 * transaction; longer runs replay the trip with shifted timestamps.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Path of the data set, whether we run from src/ (tests) or dist/ (demo, bench). */
export const GPS_DATASET = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../data/gps-dataset.csv' : '../../data/gps-dataset.csv', import.meta.url))

export interface GpsFix {
  /** Seconds since the epoch, as in the data set. */
  timestamp: number
  latitude: number
  longitude: number
  /** The CSV line, which is what a transaction stores. */
  line: string
}

let cache: { header: string, fixes: GpsFix[] } | undefined

export function loadGpsFixes (path = GPS_DATASET): { header: string, fixes: GpsFix[] } {
  if (path === GPS_DATASET && cache != null) return cache
  const lines = readFileSync(path, 'utf8').split('\n').filter(l => l.trim() !== '')
  const header = lines[0]
  const fixes = lines.slice(1).map((line) => {
    const [ts, lat, lon] = line.split(',')
    return { timestamp: Number(ts), latitude: Number(lat), longitude: Number(lon), line }
  }).filter(f => Number.isFinite(f.timestamp))
  const loaded = { header, fixes }
  if (path === GPS_DATASET) cache = loaded
  return loaded
}

const utf8 = new TextEncoder()

/**
 * The n-th fix of an endless replay: after the last fix the trip starts over,
 * shifted by the trip's duration, so keys (gps/<timestamp>) never repeat.
 */
export function gpsTransaction (n: number): { key: string, value: Uint8Array } {
  const { fixes } = loadGpsFixes()
  const fix = fixes[n % fixes.length]
  const lap = Math.floor(n / fixes.length)
  const span = fixes[fixes.length - 1].timestamp - fixes[0].timestamp + 1
  const ts = (fix.timestamp + lap * span).toFixed(3)
  const line = lap === 0 ? fix.line : `${ts}${fix.line.slice(fix.line.indexOf(','))}`
  return { key: `gps/${ts}`, value: utf8.encode(line) }
}
