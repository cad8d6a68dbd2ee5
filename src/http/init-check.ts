/**
 * What TypeScript checks for a typed caller of startHttpApi, checked for a
 * JavaScript one (as createVGuardNode checks its options): a typo (`hots`)
 * was ignored and the API bound elsewhere than asked, a port given as a
 * string was taken, and `allowedHosts: 'x'` failed with a bare TypeError.
 */
import { ConfigError } from '../node/config.ts'
import type { HttpApiInit } from './server.ts'

const INIT_NAMES: ReadonlySet<string> = new Set<keyof HttpApiInit>(['host', 'port', 'requestTimeout', 'idleTimeout', 'readPayloadBudget', 'allowedHosts'])

function shown (value: unknown): string {
  return `${JSON.stringify(value) ?? String(value)} (${typeof value})`
}

function checkInteger (name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}: must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? String(value) : shown(value)}`)
  }
}

/** @throws ConfigError naming the first option that is not what startHttpApi takes */
export function checkHttpInit (init: unknown): void {
  if (init == null || typeof init !== 'object' || Array.isArray(init)) throw new ConfigError(`startHttpApi options: an object is required, got ${shown(init)}`)
  const options = init as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (!INIT_NAMES.has(key)) throw new ConfigError(`${key}: not an option of startHttpApi (a typo?); the options are ${[...INIT_NAMES].join(', ')}`)
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) throw new ConfigError(`host: must be an address or host name, got ${shown(options.host)}`)
  checkInteger('port', options.port, 0, 65_535)
  checkInteger('requestTimeout', options.requestTimeout, 0, 2_147_483_647)
  checkInteger('idleTimeout', options.idleTimeout, 0, 2_147_483_647)
  checkInteger('readPayloadBudget', options.readPayloadBudget, 1, Number.MAX_SAFE_INTEGER)
  const hosts = options.allowedHosts
  if (hosts !== undefined && (!Array.isArray(hosts) || hosts.some(h => typeof h !== 'string' || h === ''))) {
    throw new ConfigError(`allowedHosts: must be an array of host names, got ${shown(hosts)}`)
  }
}
