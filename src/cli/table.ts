import type { NodeProcess } from '../swarm/process.ts'

export interface VehicleStatus {
  name: string
  peerId: string
  peers: string[]
  error?: string
}

export async function fetchStatus (name: string, vehicle: NodeProcess): Promise<VehicleStatus> {
  try {
    const res = await fetch(`${vehicle.httpUrl}/status`, { signal: AbortSignal.timeout(2_000) })
    const body = await res.json() as { peerId: string, peers: Array<{ peerId: string }> }
    return { name, peerId: body.peerId, peers: body.peers.map(p => p.peerId) }
  } catch (err) {
    return { name, peerId: vehicle.peerId, peers: [], error: (err as Error).message }
  }
}

const short = (id: string): string => `…${id.slice(-6)}`

export function renderTable (rows: VehicleStatus[]): string {
  const names = new Map(rows.map(r => [r.peerId, r.name]))
  const lines = [
    'vehicle      peer id    peers  connected to',
    '-----------  ---------  -----  ------------------------------------------'
  ]
  for (const r of rows) {
    const peers = r.error != null ? `(unreachable: ${r.error})` : r.peers.map(p => names.get(p) ?? short(p)).sort().join(', ')
    lines.push(`${r.name.padEnd(11)}  ${short(r.peerId).padEnd(9)}  ${String(r.peers.length).padStart(5)}  ${peers}`)
  }
  const full = rows.every(r => r.peers.length === rows.length - 1)
  lines.push('', full ? `all ${rows.length} vehicles connected to each other` : 'discovering…')
  return lines.join('\n')
}
