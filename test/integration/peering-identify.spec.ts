/**
 * A connection whose first identify failed still ends in a verdict. libp2p
 * runs identify once per connection; when that one times out (seen with 30
 * vehicles on two cores) the pair stayed connected without either side
 * counting the other a member, and nothing redialled: a connection existed.
 * Here B refuses identify while A connects (A's identify of B fails at once),
 * then serves it again; A must come to count B a member on the same connection.
 * A peer that never answers identify is hung up on after a few tries.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { waitFor } from '../utils/wait.ts'

interface IdentifyInternals {
  protocol: string
  handleProtocol: Parameters<VGuardNode['libp2p']['handle']>[1]
}

describe('peering - identify run again on a connection without a verdict', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  /** Two started vehicles; B does not answer identify (its own identify of others still runs). */
  async function pairWithoutIdentify (): Promise<{ A: VGuardNode, B: VGuardNode, identify: IdentifyInternals }> {
    const A = await cluster.create()
    const B = await cluster.create()
    await A.start()
    await B.start()
    const identify = B.libp2p.services.identify as unknown as IdentifyInternals
    await B.libp2p.unhandle(identify.protocol)
    return { A, B, identify }
  }

  it('counts a peer a member after its first identify failed', async () => {
    const { A, B, identify } = await pairWithoutIdentify()

    await A.libp2p.dial(B.multiaddrs[0])
    // B's identify of A works: B counts A; A's of B failed and left it undecided
    await waitFor(() => B.peers().some(p => p.peerId === A.peerId.toString()), { message: 'B to count A a member' })
    expect(A.peers()).toEqual([])
    const [connection] = A.libp2p.getConnections(B.peerId)
    expect(connection).toBeDefined()

    await B.libp2p.handle(identify.protocol, identify.handleProtocol, { maxInboundStreams: 1, maxOutboundStreams: 1 })
    await waitFor(() => A.peers().some(p => p.peerId === B.peerId.toString()), { timeout: 30_000, message: 'A to count B a member' })
    // on the connection it had: nothing was redialled
    expect(A.libp2p.getConnections(B.peerId).map(c => c.id)).toContain(connection.id)
  }, 40_000)

  it('hangs up on a peer whose identify never answers, after a few tries', async () => {
    const { A, B } = await pairWithoutIdentify()

    const connection = await A.libp2p.dial(B.multiaddrs[0])
    // ~10 s until the first retry, then one a reconnect round (250 ms here) until the limit
    await waitFor(() => connection.status !== 'open', { timeout: 30_000, message: 'A to hang up on B' })
    expect(A.peers().some(p => p.peerId === B.peerId.toString())).toBe(false)
  }, 40_000)
})
