/**
 * The demo's live table: a row per vehicle from its /status; a chain on fewer
 * than k up-to-date backups says so in its backups column.
 */
import { describe, it, expect } from 'vitest'
import { renderTable } from '../../../src/cli/table.ts'
import type { ChainStatus, StatusBody } from '../../../src/http/status.ts'

const A = '12D3KooWAaaAaaAaaAaaAaaAaaAaaAaaAaaAaaAaaAaaAaa0a01'
const B = '12D3KooWBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBee0b02'
const C = '12D3KooWSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSee0c03'

function vehicle (peerId: string, replication: ChainStatus['replication'], active: string[]): StatusBody {
  const own = { id: peerId, role: 'own', height: 4, tipHash: '', bytes: 900, backupTable: { epoch: 3, active, obsolete: [], height: 4, heldHeight: 4 }, heldAsBackup: false, heldHeight: 0, heldAs: null, booth: null, ballot: null, leader: null, decided: null, replication }
  return { peerId, peers: [{ peerId: B, addresses: [] }, { peerId: C, addresses: [] }], chains: [own], storage: { heldForOthers: 0 } } as unknown as StatusBody
}

describe('cli - the demo table', () => {
  it('names a chain\'s backups, and how many are up to date when fewer than k are', () => {
    const out = renderTable([
      { name: 'vehicle-1', peerId: A, status: vehicle(A, { k: 2, fresh: [B], shortOfK: true, away: [{ peerId: C, goneInMs: 1_000 }], paused: [] }, [B, C]) },
      { name: 'vehicle-2', peerId: B, status: vehicle(B, { k: 2, fresh: [A, C], shortOfK: false, away: [], paused: [] }, [A, C]) },
      { name: 'vehicle-3', peerId: C, status: vehicle(C, { k: 2, fresh: [], shortOfK: true, away: [], paused: [] }, []) }
    ]).split('\n')
    expect(out.find(l => l.startsWith('vehicle-1'))).toContain('vehicle-2 vehicle-3 (1 of 2 up to date)')
    expect(out.find(l => l.startsWith('vehicle-2'))).toContain('vehicle-1 vehicle-3 ')
    expect(out.find(l => l.startsWith('vehicle-2'))).not.toContain('up to date')
    expect(out.find(l => l.startsWith('vehicle-3'))).toContain('(0 of 2 up to date)')
  })
})
