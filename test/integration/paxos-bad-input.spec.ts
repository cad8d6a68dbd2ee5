/**
 * /vguard/paxos/1.0.0 under bad input, with real nodes: malformed and
 * oversized frames end their stream; messages that fail validation are
 * dropped; a member that forges messages about another vehicle's chain is
 * refused; a peer outside the network cannot open a stream at all. In every
 * case the receiver's consensus state does not change.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { PaxosFrame, toWire } from '../../src/protocols/paxos/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { Message } from '../../src/consensus/index.ts'
import { LevelPaxosStore } from '../../src/storage/paxos-store.ts'

const utf8 = new TextEncoder()

async function sendRaw (from: VGuardNode, to: VGuardNode, frames: Uint8Array[]): Promise<void> {
  const stream = await from.libp2p.dialProtocol(to.peerId, from.consensus.driver.transport.protocol, { signal: AbortSignal.timeout(5_000) })
  const lp = lpStream(stream, { maxDataLength: 64 * 1024 * 1024 })
  try {
    for (const f of frames) await lp.write(f, { signal: AbortSignal.timeout(5_000) })
  } catch {
    // the receiver may reset the stream as soon as it sees the first bad frame
  }
  await stream.close().catch(() => {})
}

describe('consensus - bad paxos input', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('malformed, oversized, invalid and forged messages change nothing', async () => {
    const a = await cluster.create()
    await a.start()
    const bootstrap = [a.multiaddrs[0].toString()]
    const b = await cluster.create({ bootstrap })
    const c = await cluster.create({ bootstrap })
    await Promise.all([b.start(), c.start()])
    await waitFor(() => fullyConnected([a, b, c]), { message: '3 nodes connected' })
    const A = a.peerId.toString()
    await a.put('k', utf8.encode('v'))
    // a member hears of a commit lazily (on the next accept or heartbeat) and
    // applies it after its save: wait until it has learned AND applied all
    await waitFor(() => {
      const mine = b.consensus.driver.replicaOf(A)?.status()
      return mine != null && mine.decided === a.consensus.driver.replicaOf(A)?.status().decided && mine.applied === mine.decided
    }, { message: 'b learned and applied a\'s commits' })

    const snapshot = async (): Promise<unknown> => ({
      status: b.consensus.driver.replicaOf(A)?.status(),
      persisted: await new LevelPaxosStore(b.store).storage(A).load(),
      chains: (await b.chains.chains()).map(ch => [ch.chainId, ch.height])
    })
    const before = await snapshot()
    const stats = b.consensus.driver.transport.stats
    const refused = b.consensus.driver.stats.refused

    // not protobuf at all
    await sendRaw(c, b, [utf8.encode('\xff\xff\xff garbage frame')])
    await waitFor(() => stats.malformedFrames >= 1, { message: 'malformed frame counted' })
    // a frame beyond the 24 MiB limit: the stream ends before it is buffered
    await sendRaw(c, b, [new Uint8Array(25 * 1024 * 1024)])
    await waitFor(() => stats.malformedFrames >= 2, { message: 'oversized frame counted' })

    // well-framed but invalid: an accept for slot 0 of a's chain
    const st = b.consensus.driver.replicaOf(A)?.status()
    const ballot = st?.ballot ?? { round: 1, proposer: A }
    const accept = (slot: number): Message => ({ type: 'accept', from: A, to: b.peerId.toString(), ballot, slot, value: { kind: 'data', id: 'forged', data: utf8.encode('evil') }, booth: [A, b.peerId.toString(), c.peerId.toString()], commit: 0 })
    const invalid = toWire({ chainId: A, message: accept(1) })
    invalid.slot = 0
    await sendRaw(c, b, [PaxosFrame.encode({ messages: [invalid] })])
    await waitFor(() => stats.invalidMessages >= 1, { message: 'invalid message counted' })

    // forged: c speaks for a's chain (an accept with a's ballot, a decided value, a higher-ballot heartbeat)
    const forged: Message[] = [
      accept(99),
      { type: 'decided', from: A, to: b.peerId.toString(), commit: 99, entries: [{ slot: 99, value: { kind: 'noop' }, booth: [A] }] },
      { type: 'heartbeat', from: A, to: b.peerId.toString(), ballot: { round: 999, proposer: A }, commit: 99 }
    ]
    await sendRaw(c, b, [PaxosFrame.encode({ messages: forged.map(m => toWire({ chainId: A, message: m })) })])
    await waitFor(() => b.consensus.driver.stats.refused >= refused + 3, { message: 'forgeries refused' })

    expect(await snapshot()).toEqual(before)

    // a's chain still works
    const r = await a.put('after', utf8.encode('ok'))
    expect(r.height).toBe(2)
  })

  it('a peer of another network cannot open a paxos stream', async () => {
    const a = await cluster.create()
    await a.start()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()
    const failed = await (async () => {
      await outsider.libp2p.dial(a.multiaddrs[0], { signal: AbortSignal.timeout(5_000) }).catch(() => {})
      const stream = await outsider.libp2p.dialProtocol(a.peerId, a.consensus.driver.transport.protocol, { signal: AbortSignal.timeout(8_000) })
      const lp = lpStream(stream, { maxDataLength: 1024 })
      await lp.write(PaxosFrame.encode({ hello: { priority: 1, sharedGenesis: '', askBack: true }, messages: [] }), { signal: AbortSignal.timeout(5_000) })
      await lp.read({ signal: AbortSignal.timeout(8_000) })
      return false
    })().catch(() => true)
    expect(failed).toBe(true)
    expect(a.consensus.driver.transport.stats.messagesIn).toBe(0)
    expect(a.peers()).toHaveLength(0)
  })
})
