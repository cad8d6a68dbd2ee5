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

export interface GpsDataSet {
  header: string
  fixes: GpsFix[]
  /** Lines that were no fix (a timestamp, latitude or longitude that is no finite number, a cut line), skipped. */
  skipped: number
}

/** A data set that holds no fix: every transaction would be a TypeError later. */
export class GpsDataSetError extends Error {
  static name = 'GpsDataSetError'
  constructor (message = 'the GPS data set holds no fix') {
    super(message)
    this.name = 'GpsDataSetError'
  }
}

let cache: GpsDataSet | undefined

export function loadGpsFixes (path = GPS_DATASET): GpsDataSet {
  if (path === GPS_DATASET && cache != null) return cache
  // the bundled data set ends its lines in CRLF: split on \n alone, every value committed ended in \r (a review)
  const [header, ...rows] = readFileSync(path, 'utf8').split(/\r?\n/).filter(l => l.trim() !== '')
  const fixes = rows.flatMap(line => parseFix(line) ?? [])
  if (header == null || fixes.length === 0) {
    throw new GpsDataSetError(`the GPS data set ${path} holds no fix (${header == null ? 'empty' : `${rows.length} line(s) after the header, none a fix`})`)
  }
  const loaded = { header, fixes, skipped: rows.length - fixes.length }
  if (path === GPS_DATASET) cache = loaded
  return loaded
}

/** A line with a finite timestamp, latitude and longitude; a malformed or cut one (NaN coordinates) is none. */
function parseFix (line: string): GpsFix | undefined {
  const [timestamp, latitude, longitude] = line.split(',', 3).map(field => field.trim() === '' ? NaN : Number(field))
  if (![timestamp, latitude, longitude].every(Number.isFinite)) return undefined
  return { timestamp, latitude, longitude, line }
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
