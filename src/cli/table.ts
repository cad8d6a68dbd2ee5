/**
 * The demo's live table: one row per vehicle, read from each node's
 * GET /status (the same JSON any operator sees).
 */
import type { NodeProcess } from '../swarm/process.ts'
import type { ChainStatus, StatusBody } from '../http/status.ts'
import { formatColumns } from './columns.ts'
import type { Column, Row } from './columns.ts'

export interface VehicleStatus {
  name: string
  peerId: string
  status?: StatusBody
  error?: string
}

export async function fetchStatus (name: string, vehicle: NodeProcess): Promise<VehicleStatus> {
  if (vehicle.child.exitCode != null || vehicle.child.signalCode != null) return { name, peerId: vehicle.peerId, error: 'stopped' }
  try {
    const res = await fetch(`${vehicle.httpUrl}/status`, { signal: AbortSignal.timeout(2_000) })
    return { name, peerId: vehicle.peerId, status: await res.json() as StatusBody }
  } catch (err) {
    return { name, peerId: vehicle.peerId, error: (err as Error).message }
  }
}

const short = (id: string): string => `…${id.slice(-6)}`

function kib (bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

const TABLE_COLUMNS: Column[] = [
  { title: 'vehicle' },
  { title: 'peers', align: 'right' },
  { title: 'height', align: 'right' },
  { title: 'epoch', align: 'right' },
  { title: 'backups of its chain' },
  { title: 'holds copies of' },
  { title: 'held for others', align: 'right' }
]

export function renderTable (rows: VehicleStatus[], lines: string[] = []): string {
  const names = new Map(rows.map(r => [r.peerId, r.name]))
  const name = (id: string): string => names.get(id) ?? short(id)
  const cells = rows.map((r): Row => {
    if (r.status == null) return { first: r.name, note: `(${r.error ?? 'unknown'})` }
    const s = r.status
    const own = s.chains.find(c => c.id === r.peerId)
    const table = own?.backupTable
    return [
      r.name,
      String(s.peers.length),
      String(own?.height ?? 0),
      String(table?.epoch ?? 0),
      backupsOf(table?.active ?? [], own?.replication, name),
      s.chains.filter(c => c.role === 'backup').map(c => `${name(c.id)}@${c.heldHeight}`).join(' '),
      kib(s.storage.heldForOthers)
    ]
  })
  const out = formatColumns(TABLE_COLUMNS, cells, { rule: true })
  const live = rows.filter(r => r.status != null)
  const meshed = live.every(r => (r.status?.peers.length ?? 0) >= live.length - 1)
  out.push('', meshed ? `${live.length} vehicles connected to each other` : 'discovering…', ...lines)
  return out.join('\n')
}

/** The backups its table names; a chain on fewer than k up-to-date ones says how many (a round makes up the rest). */
function backupsOf (active: string[], replication: ChainStatus['replication'] | undefined, name: (id: string) => string): string {
  const names = active.map(name).join(' ')
  if (replication == null || !replication.shortOfK) return names
  return `${names}${names === '' ? '' : ' '}(${replication.fresh.length} of ${replication.k} up to date)`
}
