/**
 * What TypeScript checks for a typed caller of startHttpApi, checked for a
 * JavaScript one (as createVGuardNode checks its options): a typo (`hots`)
 * was ignored and the API bound elsewhere than asked, a port given as a
 * string was taken, and `allowedHosts: 'x'` failed with a bare TypeError.
 */
import { ConfigError, shownValue } from '../node/config.ts'
import type { HttpApiInit } from './server.ts'

const INIT_NAMES: ReadonlySet<string> = new Set<keyof HttpApiInit>(['host', 'port', 'requestTimeout', 'idleTimeout', 'readPayloadBudget', 'allowedHosts'])

function shown (value: unknown): string {
  return `${shownValue(value)} (${typeof value})`
}

function checkInteger (name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}: must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? String(value) : shown(value)}`)
  }
}

/**
 * A node from createVGuardNode, by what the API uses of it: anything else
 * (null, {}) was served, every route answering 500 TypeError, and close()
 * threw one too; statusOf threw a TypeError from inside (a probe, 2026-12-03).
 * `call` names the function in the message.
 *
 * @throws ConfigError
 */
export function checkHttpNode (node: unknown, call = 'startHttpApi(node, init)'): void {
  const n = node as Record<string, unknown> | null
  const usable = n != null && typeof n === 'object' && n.peerId != null && n.chains != null && n.vguarddb != null &&
    typeof n.addEventListener === 'function' && typeof n.removeEventListener === 'function' && typeof n.put === 'function'
  if (!usable) throw new ConfigError(`node: ${call} takes a node made by createVGuardNode, got ${n === null ? 'null' : typeof n === 'object' ? 'an object of another shape' : typeof n}`)
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
  for (const host of (hosts ?? []) as string[]) {
    const problem = hostNameProblem(host)
    if (problem != null) throw new ConfigError(`allowedHosts: ${problem}`)
  }
}

/** A DNS name: labels of letters, digits and '-' (not at either end), 253 characters at most. */
const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

/**
 * Why `name` can never match a request's Host as an allowed name, or
 * undefined. The check compares the Host's name alone: 'vehicle:7400' or
 * 'http://vehicle' was taken and never matched anything (a probe).
 */
export function hostNameProblem (name: string): string | undefined {
  if (HOST_NAME.test(name)) return undefined
  return `${JSON.stringify(name)} is not a host name: give the name alone (no port, scheme or path: the Host header's port is not compared), e.g. vehicle-1 or vehicle-1.lan`
}
