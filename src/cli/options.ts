/**
 * Flag parsers for the CLI. Each throws commander's InvalidArgumentError, which
 * the CLI turns into a one-line message and exit code 2.
 */
import { InvalidArgumentError } from 'commander'
import type { Command } from 'commander'
import { multiaddr } from '@multiformats/multiaddr'
import { hostNameProblem } from '../http/init-check.ts'
import { UsageError } from './usage-error.ts'

export function parseInteger (min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return n
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 }

/** Bytes, with an optional binary unit: 1048576, 512KiB, 1GiB, 2TiB. */
export function parseBytes (value: string): number {
  const match = value.trim().match(/^(\d+)\s*([a-zA-Z]*)$/)
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x']
  if (match == null || unit == null) throw new InvalidArgumentError('expected bytes, e.g. 1073741824 or 1GiB')
  const n = Number(match[1]) * unit
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('too large')
  return n
}

export interface HostPort { host: string, port: number }

/**
 * HOST:PORT, [IPv6]:PORT, or just PORT (host 127.0.0.1); also as the URL `start` prints (`http: http://127.0.0.1:7400`),
 * which a user pastes: it was refused as not HOST:PORT (a probe, 2026-12-03).
 */
export function parseHostPort (value: string): HostPort {
  const url = value.trim().match(/^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)\/?$/i)
  if (url != null && url[1].toLowerCase() !== 'http') throw new InvalidArgumentError(`the node's API speaks plain HTTP, not ${url[1]}: give http://HOST:PORT or HOST:PORT`)
  const text = url?.[2] ?? value.trim()
  // a host name's letters only: `user@host` or `host/path` named no host, and failed only when dialled
  const match = text.match(/^(?:\[([^\]]+)\]|([A-Za-z0-9._-]*)):(\d+)$/)
  const portOnly = text.match(/^(\d+)$/)
  if (match == null && portOnly == null) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:7400 (or http://127.0.0.1:7400)')
  const port = Number(portOnly?.[1] ?? match?.[3])
  if (port > 65535) throw new InvalidArgumentError(`port ${port} is out of range (0-65535)`)
  const host = match?.[1] ?? match?.[2] ?? ''
  return { host: host === '' ? '127.0.0.1' : host, port }
}

function parseMultiaddr (value: string): string {
  try {
    return multiaddr(value).toString()
  } catch {
    throw new InvalidArgumentError(`not a multiaddr: ${value}`)
  }
}

/** Repeatable multiaddr flag; an environment variable may hold several, comma-separated. */
export function collectMultiaddrs (value: string, previous: string[] | undefined): string[] {
  const parsed = value.split(',').map(v => v.trim()).filter(v => v !== '').map(parseMultiaddr)
  return [...(previous ?? []), ...parsed]
}

/**
 * A typed value of a list flag that names nothing ('', ' ', ','): `--announce "$LAN_ADDR"` with the variable unset
 * started a node announcing its listen addresses, as if the flag were left out (a probe, 2026-12-03). Leaving the flag
 * out says "none"; so does its variable set empty (an env file's `VGUARD_ANNOUNCE=`), which never fires 'option:'.
 */
export function refuseTypedNothing (command: Command, flag: string, items: string): Command {
  return command.on(`option:${flag}`, (value: string) => {
    // a UsageError, which main prints: commander prints the errors of its own that it throws, not of a listener's
    if (value.split(',').every(v => v.trim() === '')) throw new UsageError(`--${flag}: expected one or more ${items} (comma-separated), got ${JSON.stringify(value)}`)
  })
}

/** Repeatable host name flag (--http-allow-host); an environment variable may hold several, comma-separated. */
export function collectHostNames (value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map(v => v.trim()).filter(v => v !== '')
  for (const name of names) {
    const problem = hostNameProblem(name)
    if (problem != null) throw new InvalidArgumentError(problem)
  }
  return [...(previous ?? []), ...names]
}

export function parseBoolean (value: string): boolean {
  // as every other value: `VGUARD_NO_MDNS= 1` (an env file's spacing) is 1
  const word = value.trim()
  if (/^(1|true|yes|on)$/i.test(word)) return true
  if (/^(0|false|no|off)$/i.test(word)) return false
  throw new InvalidArgumentError('expected true or false (also 1, yes, on or 0, no, off)')
}
