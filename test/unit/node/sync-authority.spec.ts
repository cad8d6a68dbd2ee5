import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { signTable } from '../../../src/backup/index.ts'
import type { VerifiedTable } from '../../../src/backup/index.ts'
import { syncAuthority } from '../../../src/node/sync-authority.ts'

async function vehicle (): Promise<{ key: PrivateKey, id: PeerId }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key) }
}

describe('node - whose blocks sync takes', () => {
  it('a vehicle\'s chain: its own word from the vehicle, the signed tip from anyone else, nothing without a table', async () => {
    const owner = await vehicle()
    const other = await vehicle()
    const chainId = owner.id.toString()
    const tables = new Map<string, VerifiedTable>()
    const authority = syncAuthority({ newestTable: (id) => tables.get(id), sharedTip: () => undefined })
    expect(authority(chainId, owner.id)).toEqual({ trust: 'peer' })
    expect(authority(chainId, other.id)).toMatchObject({ trust: 'none' })
    const tipHash = new Uint8Array(32).fill(7)
    tables.set(chainId, await signTable(owner.key, chainId, { chainId, epoch: 3, active: [other.id.toString()], obsolete: [], height: 12, tipHash, timestamp: 0 }))
    expect(authority(chainId, other.id)).toEqual({ trust: 'tip', height: 12, hash: tipHash })
  })

  it('the shared chain: only up to what this node\'s consensus applied; a chain id that is no peer id: the hash chain alone', async () => {
    const member = await vehicle()
    let applied: { height: number, hash: Uint8Array } | undefined
    const authority = syncAuthority({ newestTable: () => undefined, sharedTip: () => applied })
    expect(authority('shared', member.id)).toMatchObject({ trust: 'none' })
    applied = { height: 0, hash: new Uint8Array(32) }
    expect(authority('shared', member.id)).toMatchObject({ trust: 'none' })
    applied = { height: 40, hash: new Uint8Array(32).fill(1) }
    expect(authority('shared', member.id)).toEqual({ trust: 'tip', ...applied })
    expect(authority('vehicle-7', member.id)).toEqual({ trust: 'peer' })
  })
})
