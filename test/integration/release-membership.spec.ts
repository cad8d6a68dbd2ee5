/**
 * /vguard/release/1.0.0 hears members of our network only, and keeps a
 * table as a forward pointer only for a chain it backs (a copy, or a pointer;
 * for any other chain it answers OK, nothing held here, and keeps nothing):
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
import { pbStream } from '../../src/protocols/framing.ts'
import { RELEASE_PROTOCOL } from '../../src/protocols/release/constants.ts'
import { ReleaseRequest, ReleaseResponse } from '../../src/protocols/release/pb/release.ts'

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

  it('a member\'s release of a chain this node knows only from gossip is answered OK, nothing held here, and its table stays a hint', async () => {
    const [A, M, C] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const chainId = M.peerId.toString()
    // M's round names C: A hears the table by gossip only
    await M.endOfBooth({ participants: [C.peerId.toString()], transactions: [{ key: 'k', value: new Uint8Array([1]) }] })
    await waitFor(() => A.vguarddb.tables.get(chainId) != null, { message: 'A heard the table' })
    const hints = A.vguarddb.tables.hintCount
    const signed = A.vguarddb.tables.get(chainId)?.signed ?? new Uint8Array()
    // never a backup of it: nothing to release there, as for one that dropped its pointer (below), which it cannot tell apart
    await expect(M.vguarddb.release.release(A.peerId, signed)).resolves.toEqual({ epoch: 0, deleted: false, nothingHeld: true })
    expect(A.vguarddb.tables.isKept(chainId)).toBe(false)
    expect(A.vguarddb.tables.hintCount).toBe(hints)
  })

  it('a release sent again to a backup that has since dropped its forward pointer is answered OK, nothing held there; nothing is kept', async () => {
    // B keeps one forward pointer at most (4,096 by default: too many to fill here), so D's release will push A's out
    // (every node gets the cap; only B is released from anything)
    const [A, D, B, C] = await connectedSwarm(cluster, 4, { kBackups: 1, maxForwardPointers: 1 })
    const [a, d, b, c] = [A, D, B, C].map(n => n.peerId.toString())
    const value = new Uint8Array([1])
    // A's copy on B, then B released: its copy goes, its table stays as a forward pointer
    await A.endOfBooth({ participants: [b], transactions: [{ key: 'k', value }] })
    await A.endOfBooth({ participants: [c], transactions: [{ key: 'k', value }] })
    await waitFor(async () => B.vguarddb.tables.isKept(a) && await B.chains.info(a) == null, { message: 'B released from A\'s chain' })
    const signed = A.vguarddb.tables.get(a)?.signed ?? new Uint8Array()
    await D.endOfBooth({ participants: [b], transactions: [{ key: 'k', value }] })
    await D.endOfBooth({ participants: [c], transactions: [{ key: 'k', value }] })
    await waitFor(() => B.vguarddb.tables.isKept(d) && B.vguarddb.tables.get(a) == null, { message: 'A\'s pointer dropped on B' })

    // A sends its release again (its first answer lost): B holds nothing of the chain, and says so
    await expect(A.vguarddb.release.release(B.peerId, signed)).resolves.toEqual({ epoch: 0, deleted: false, nothingHeld: true })
    expect(B.vguarddb.tables.get(a)).toBeUndefined()
    expect(B.vguarddb.tables.pointerCount).toBe(1)
  })

  it('a backup of an earlier version answers INVALID "unknown here" for a chain it holds nothing of: the owner takes it as done too', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const a = A.peerId.toString()
    await A.endOfBooth({ participants: [B.peerId.toString()], transactions: [{ key: 'k', value: new Uint8Array([1]) }] })
    const signed = A.vguarddb.tables.get(a)?.signed ?? new Uint8Array()
    // B answers as a backup before this change did
    await B.libp2p.unhandle(RELEASE_PROTOCOL)
    await B.libp2p.handle(RELEASE_PROTOCOL, async (stream) => {
      const pbs = pbStream(stream)
      await pbs.read(ReleaseRequest)
      await pbs.write({ status: ReleaseResponse.Status.INVALID, epoch: 0, deleted: false, message: `chain ${a} is unknown here` }, ReleaseResponse)
    })
    await expect(A.vguarddb.release.release(B.peerId, signed)).resolves.toEqual({ epoch: 0, deleted: false, nothingHeld: true })
  })
})
