/**
 * The demo's consensus part: each vehicle replays GPS fixes into its own
 * chain through consensus (PUT /chains/:self/kv/…, a few at once so they
 * share a block), and now and then writes to the network's shared chain
 * (forwarded to its elected leader); the table shows each vehicle's booth
 * and the shared chain's leader.
 */
import type { NodeProcess } from '../swarm/process.ts'
import { gpsTransaction } from '../workload/gps.ts'
import type { VehicleStatus } from './table.ts'
import { formatColumns } from './columns.ts'
import type { Column } from './columns.ts'

/** Fixes per round and vehicle, written concurrently (they batch into one block). */
const FIXES_PER_ROUND = 4
/** Every this many rounds a vehicle posts to the shared chain. */
const SHARED_EVERY = 3

export interface ConsensusVehicle {
  name: string
  process: NodeProcess
  /** Next fix of the vehicle's replay (shared with the end-of-booth story). */
  next: number
}

async function put (v: ConsensusVehicle, chainId: string, key: string, value: Uint8Array): Promise<string | undefined> {
  try {
    const res = await fetch(`${v.process.httpUrl}/chains/${chainId}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value as Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(15_000) })
    if (res.status === 200) {
      // committed; an own-chain write also says how far its replication round got
      const { replication } = await res.json() as { replication?: { state: string } }
      return replication == null || replication.state === 'complete' ? undefined : `${v.name}: GPS write committed, replication ${replication.state}`
    }
    const body = await res.json() as { error?: string, message?: string }
    return `${v.name}: ${chainId === 'shared' ? 'shared-chain' : 'GPS'} write failed (${res.status} ${body.error ?? ''})`
  } catch (err) {
    return `${v.name}: write failed: ${(err as Error).message}`
  }
}

/** One round of consensus writes for every vehicle still driving; returns notes about failures and short replication rounds. */
export async function consensusRound (vehicles: ConsensusVehicle[], round: number): Promise<string[]> {
  const notes = await Promise.all(vehicles.map(async (v, i) => {
    const writes = Array.from({ length: FIXES_PER_ROUND }, async () => {
      const fix = gpsTransaction(v.next++)
      return await put(v, v.process.peerId, fix.key, fix.value)
    })
    if ((round + i) % SHARED_EVERY === 0) {
      const fix = gpsTransaction(v.next)
      writes.push(put(v, 'shared', `sightings/${v.name}`, new TextEncoder().encode(`${v.name} at ${new TextDecoder().decode(fix.value).split(',').slice(1, 3).join(',')}`)))
    }
    return (await Promise.all(writes)).filter((n): n is string => n != null)
  }))
  return [...new Set(notes.flat())]
}

const short = (id: string): string => `…${id.slice(-6)}`

const CONSENSUS_COLUMNS: Column[] = [
  { title: 'consensus' },
  { title: 'height', align: 'right' },
  { title: 'booth (its own chain)' },
  { title: 'shared leader' }
]

/** Per vehicle: its chain's height and booth; then the shared chain's leader and height. */
export function renderConsensus (rows: VehicleStatus[]): string[] {
  const names = new Map(rows.map(r => [r.peerId, r.name.replace('vehicle-', 'v')]))
  const name = (id: string): string => names.get(id) ?? short(id)
  const cells: string[][] = []
  let shared: { leader: string | null, height: number } | undefined
  for (const r of rows) {
    const s = r.status
    if (s == null) continue
    const own = s.chains.find(c => c.id === r.peerId)
    const sharedChain = s.chains.find(c => c.id === 'shared')
    if (sharedChain != null && (shared == null || sharedChain.height > shared.height)) shared = { leader: s.shared.leader, height: sharedChain.height }
    cells.push([
      r.name,
      String(own?.height ?? 0),
      own?.booth?.map(name).join(' ') ?? '-',
      s.shared.leader != null ? name(s.shared.leader) : '(electing)'
    ])
  }
  const lines = formatColumns(CONSENSUS_COLUMNS, cells)
  if (shared != null) lines.push(`shared chain: height ${shared.height}, leader ${shared.leader != null ? name(shared.leader) : '(electing)'}`)
  return lines
}
