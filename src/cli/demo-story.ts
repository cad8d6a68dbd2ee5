/**
 * What the demo's vehicles do: replay GPS fixes, one booth at a time, through
 * VGuard's end-of-booth hook (POST /booth/end), so the storage layer's three
 * phases run for real; midway one vehicle stops and another reads its data
 * through the backups, printing the read's path.
 */
import type { NodeProcess } from '../swarm/process.ts'
import { gpsTransaction } from '../workload/gps.ts'
import type { StatusBody } from '../http/status.ts'

/** GPS fixes per booth (one fix per transaction). */
export const FIXES_PER_BOOTH = 5

export interface Vehicle {
  name: string
  process: NodeProcess
  /** Next fix of the replay. */
  next: number
  lastKey?: string
  /** Its first release of obsolete backups was told (later ones are not). */
  releaseShown?: boolean
}

async function json<T> (url: string, init?: RequestInit): Promise<{ status: number, body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
  return { status: res.status, body: await res.json() as T }
}

function running (v: Vehicle): boolean {
  return v.process.child.exitCode == null && v.process.child.signalCode == null
}

/**
 * One booth of `v`: a few vehicles in range agree on its next fixes, then
 * replicate → table → release. Its participants come from `driving`; the note
 * names vehicles from `all`, which holds those that left too: a release of
 * one that left was told by a peer id fragment ("told MoRjut": a review).
 */
export async function endBooth (v: Vehicle, driving: Vehicle[], random: () => number, all: Vehicle[] = driving): Promise<string | undefined> {
  const others = driving.filter(o => o !== v && running(o))
  if (others.length === 0) return undefined
  // vehicles come and go: each booth has a different, random part of the swarm
  const size = Math.min(others.length, 2 + Math.floor(random() * 2))
  const participants = [...others].sort(() => random() - 0.5).slice(0, size).map(o => o.process.peerId)
  const transactions = Array.from({ length: FIXES_PER_BOOTH }, () => {
    const tx = gpsTransaction(v.next++)
    v.lastKey = tx.key
    return { key: tx.key, value: new TextDecoder().decode(tx.value) }
  })
  const res = await json<{ epoch: number, active: string[], obsolete?: string[], complete: boolean, warning?: string, message?: string }>(`${v.process.httpUrl}/booth/end`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ participants, transactions })
  })
  if (res.status !== 200) return `${v.name}: booth failed: ${res.body.message ?? res.status}`
  if (res.body.warning != null) return `${v.name}: ${res.body.warning}`
  // the first release of each vehicle is told (then every booth would): the third phase, seen once
  const released = res.body.obsolete ?? []
  if (released.length > 0 && !v.releaseShown) {
    v.releaseShown = true
    const name = (id: string): string => all.find(o => o.process.peerId === id)?.name ?? id.slice(-6)
    const one = released.length === 1
    return `${v.name}: backups now ${res.body.active.map(name).join(', ')}; told ${released.map(name).join(', ')} to release ${one ? 'its copy' : 'their copies'} ` +
      `(${one ? 'it keeps' : 'they keep'} a forward pointer, and ${one ? 'redirects' : 'redirect'} readers to the new backups)`
  }
  return undefined
}

interface ReadBody {
  value?: string
  height?: number
  epoch?: number
  servedBy?: string
  path?: Array<{ peerId: string, outcome: string }>
  message?: string
  tried?: Array<{ peerId: string, outcome: string }>
}

/** The vehicle that reads the one that left: the first other one. */
export function readerOf (owner: Vehicle, all: Vehicle[]): Vehicle {
  return all.find(v => v !== owner) as Vehicle
}

/** A running vehicle, neither the owner nor the reader, released from the owner's chain: it keeps a forward pointer, no copy. */
function releasedFrom (owner: Vehicle, reader: Vehicle, all: Vehicle[], statuses: Map<string, StatusBody>): Vehicle | undefined {
  const chainId = owner.process.peerId
  return all.find(v => v !== owner && v !== reader && running(v) && (statuses.get(v.process.peerId)?.backupTables.some(t => t.chainId === chainId) ?? false))
}

/**
 * Whether one of the vehicles still driving may leave now: one must stay to
 * read it, and two, where the demo began with more, so that commits go on
 * (a booth needs a majority of two). Three started, one crashed: the one
 * that then left made the last one's writes fail for good (NoQuorumError).
 */
export function mayLeave (driving: number, started: number): boolean {
  return driving >= Math.min(3, started) && driving >= 2
}

/**
 * The vehicle that leaves midway: the third, unless it has no released
 * vehicle to show the redirect through and another has (a run whose third
 * vehicle's booths kept the same backups printed a read with no redirect).
 */
export function leavingVehicle (all: Vehicle[], statuses: Map<string, StatusBody>): { vehicle: Vehicle, redirect: boolean } {
  const order = all.map((_, i) => all[(i + 2) % all.length])
  const vehicle = order.find(v => releasedFrom(v, readerOf(v, all), all, statuses) != null)
  return vehicle != null ? { vehicle, redirect: true } : { vehicle: order[0], redirect: false }
}

/**
 * The paper's read: `reader` reads the last fix of the stopped `owner`. If some
 * vehicle was released from the owner's chain, the read goes through it first,
 * to show the redirect.
 */
export async function offlineRead (reader: Vehicle, owner: Vehicle, all: Vehicle[], statuses: Map<string, StatusBody>): Promise<string[]> {
  const name = (id: string): string => all.find(v => v.process.peerId === id)?.name ?? id.slice(-6)
  const chainId = owner.process.peerId
  const released = releasedFrom(owner, reader, all, statuses)
  const via = released != null ? `?via=${released.process.peerId}` : ''
  const key = owner.lastKey ?? ''
  const res = await json<ReadBody>(`${reader.process.httpUrl}/chains/${chainId}/read/${encodeURIComponent(key)}${via}`)
  const lines = [`${reader.name} reads ${owner.name}'s ${key} while ${owner.name} is offline:`]
  if (res.status !== 200) {
    lines.push(`  failed (${res.status}): ${res.body.message ?? ''}`)
    return lines
  }
  const path = (res.body.path ?? []).map(p => `${name(p.peerId)} ${p.outcome}`).join(' → ')
  lines.push(`  path: ${path}`)
  lines.push(`  served by ${name(res.body.servedBy ?? '')} at height ${res.body.height ?? 0}, epoch ${res.body.epoch ?? 0}: ${(res.body.value ?? '').split(',').slice(0, 3).join(',')}`)
  // and the keys of its fixes, a page of them read the same way
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/') + 1) : ''
  const keys = await json<KeysBody>(`${reader.process.httpUrl}/chains/${chainId}/read?prefix=${encodeURIComponent(prefix)}&values=false&limit=${KEYS_SHOWN}`)
  if (keys.status === 200 && keys.body.entries != null && keys.body.entries.length > 0) {
    const entries = keys.body.entries
    const count = keys.body.next != null ? `the first ${entries.length}` : `all ${entries.length}`
    lines.push(`  ${reader.name} lists ${owner.name}'s keys the same way: ${count} under ${prefix} (${entries[0].key} … ${entries[entries.length - 1].key}), from ${name(keys.body.servedBy ?? '')}`)
  }
  return lines
}

/** Keys the demo's listing of a departed vehicle's chain asks for (one page). */
const KEYS_SHOWN = 1000

interface KeysBody {
  entries?: Array<{ key: string }>
  next?: string | null
  servedBy?: string
}
