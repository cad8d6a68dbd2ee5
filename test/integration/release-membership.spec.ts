/**
 * /vguard/release/1.0.0 hears members of our network only, and keeps a
 * table as a forward pointer only for a chain it backs (a copy, or a pointer):
 * a peer with a key it just made up could else have its own table kept here,
 * one release each, pushing real pointers out. Real nodes over
 * TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signTable } from '../../src/backup/index.ts'

describe('release - only members, only chains this node backs', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle of another network is refused FORBIDDEN without its request being read; nothing is kept', async () => {
    const A = await cluster.create()
    await A.start()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()
    // any signed table: the request is not read (read, a table of another owner would be INVALID)
    const key = await generateKeyPair('Ed25519')
    const chainId = peerIdFromPrivateKey(key).toString()
    const { signed } = await signTable(key, chainId, { chainId, epoch: 1, active: [], obsolete: [A.peerId.toString()], height: 1, tipHash: new Uint8Array(32), timestamp: Date.now() })
    await outsider.libp2p.dial(A.multiaddrs[0])
    await expect(outsider.vguarddb.release.release(A.peerId, signed)).rejects.toMatchObject({ name: 'ReleaseFailedError', message: expect.stringMatching(/FORBIDDEN: not a member of this network/) })
    expect(A.vguarddb.tables.get(chainId)).toBeUndefined()
  })

  it('a member\'s release of a chain this node knows only from gossip is INVALID, and its table stays a hint', async () => {
    const [A, M, C] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const chainId = M.peerId.toString()
    // M's round names C: A hears the table by gossip only
    await M.endOfBooth({ participants: [C.peerId.toString()], transactions: [{ key: 'k', value: new Uint8Array([1]) }] })
    await waitFor(() => A.vguarddb.tables.get(chainId) != null, { message: 'A heard the table' })
    const hints = A.vguarddb.tables.hintCount
    const signed = A.vguarddb.tables.get(chainId)?.signed ?? new Uint8Array()
    await expect(M.vguarddb.release.release(A.peerId, signed)).rejects.toMatchObject({ name: 'ReleaseRejectedError', message: expect.stringMatching(/INVALID: chain .* is unknown here/) })
    expect(A.vguarddb.tables.isKept(chainId)).toBe(false)
    expect(A.vguarddb.tables.hintCount).toBe(hints)
  })
})
