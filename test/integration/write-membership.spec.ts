/**
 * /vguard/write/1.0.0 takes forwarded writes from connected members of our
 * network only, and waits for identify's verdict on a peer not judged yet (as
 * read, release and replicate do): a write forwarded to a proposer we were not
 * connected to opens its stream the moment the dial's connection is up, before
 * the proposer's identify of us ends. Refused then without waiting (a review),
 * the stream was reset and the writer told the write "may still commit"
 * (ProposerUnreachableError, mayHaveCommitted), though it was never taken.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { WriteResponse } from '../../src/protocols/write/pb/write.ts'
import { encodeWrite } from '../../src/node/batch.ts'

const value = new TextEncoder().encode('v')

describe('write - only members of our network may forward writes', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a write forwarded to a proposer over a connection dialled for it is taken', async () => {
    const b = await cluster.create()
    await b.start()
    const a = await cluster.create()
    await a.start()
    // a knows where b is (as a backup table, a view or mDNS would tell it) but is not connected to it
    await a.libp2p.peerStore.merge(b.peerId, { multiaddrs: b.multiaddrs })
    expect(a.libp2p.getConnections(b.peerId)).toHaveLength(0)
    const r = await a.append([{ key: 'k', value }], { chainId: b.peerId.toString(), timeout: 5_000 })
    expect(r.height).toBeGreaterThan(0)
  })

  it('a write forwarded once both sides count each other members is taken', async () => {
    const b = await cluster.create()
    await b.start()
    const a = await cluster.create()
    await a.start()
    await a.libp2p.dial(b.multiaddrs[0])
    await waitFor(() => a.peers().length === 1 && b.peers().length === 1, { message: 'members' })
    const r = await a.append([{ key: 'k', value }], { chainId: b.peerId.toString(), timeout: 5_000 })
    expect(r.height).toBeGreaterThan(0)
  })

  it('a vehicle of another network is answered that nothing was taken, and nothing is written', async () => {
    const b = await cluster.create()
    await b.start()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()
    const height = (await b.chains.tip(b.peerId.toString())).height
    await outsider.libp2p.dial(b.multiaddrs[0])
    const res = await outsider.consensus.writes.forward(b.peerId, b.peerId.toString(), encodeWrite([{ key: 'k', value }]).payload, { timeout: 5_000 })
    expect(res).toMatchObject({ status: WriteResponse.Status.ERROR, error: 'NotMemberError', mayHaveCommitted: false })
    expect(res.message).toMatch(/not a member/)
    expect((await b.chains.tip(b.peerId.toString())).height).toBe(height)
  })
})
