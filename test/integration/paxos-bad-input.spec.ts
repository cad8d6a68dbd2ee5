/**
 * /vguard/paxos/1.0.0 under bad input, with real nodes: malformed and
 * oversized frames end their stream; messages that fail validation are
 * dropped; a member that forges messages about another vehicle's chain is
 * refused; a peer outside the network cannot open a stream at all. In every
 * case the receiver's consensus state does not change.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { PaxosFrame, toWire } from '../../src/protocols/paxos/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { Message } from '../../src/consensus/index.ts'
import { LevelPaxosStore } from '../../src/storage/paxos-store.ts'
import { encodeBatch, encodeWrite } from '../../src/node/batch.ts'

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

  it('no member writes a block into a vehicle\'s chain, deposes it or pushes its rounds out of range by messages to the vehicle', async () => {
    const nodes = await connectedSwarm(cluster, 5)
    const a = nodes[0]
    const A = a.peerId.toString()
    await a.put('k1', utf8.encode('v1'))
    const replica = a.consensus.driver.replicaOf(A)
    const st = replica?.status()
    if (st == null) throw new Error('no replica of a\'s own chain')
    const inBooth = nodes.find(n => n !== a && st.booth.includes(n.peerId.toString()))
    const outside = nodes.find(n => !st.booth.includes(n.peerId.toString()))
    if (inBooth == null || outside == null) throw new Error(`booth ${st.booth.length} of 5: need a member and an outsider`)
    const tipBefore = await a.chains.tip(A)

    // a block of the forger's making for the next slot, claiming a's ballot
    const w = encodeWrite([{ key: 'k1', value: utf8.encode('FORGED') }])
    const data = encodeBatch({ proposer: A, ballot: st.ballot, timestamp: Date.now(), payloads: [w.payload] })
    const slot = st.decided + 1
    const stats = a.consensus.driver.transport.stats
    let expected = stats.messagesIn
    for (const forger of [outside, inBooth]) {
      const F = forger.peerId.toString()
      const forged: Message[] = [
        { type: 'decided', from: F, to: A, commit: slot, entries: [{ slot, value: { kind: 'data', id: `forged-${F}`, data }, booth: st.booth }] },
        { type: 'promise', from: F, to: A, ballot: st.ballot, commit: slot, booths: [{ slot: 1, members: st.booth }], entries: [{ slot, ballot: st.ballot, value: { kind: 'data', id: `forged-p-${F}`, data }, booth: st.booth, decided: true }] }
      ]
      // an outsider's refusal would depose a; any refusal at a round of 2^53 − 1 would stop its chain (the next round cannot be encoded)
      if (forger === outside) forged.push({ type: 'nack', from: F, to: A, ballot: st.ballot, promised: { round: 1_000_000, proposer: F } })
      await sendRaw(forger, a, [PaxosFrame.encode({ messages: forged.map(m => toWire({ chainId: A, message: m })) })])
      expected += forged.length
      await waitFor(() => stats.messagesIn >= expected, { message: `a took ${F}'s messages` })
    }
    const invalidBefore = stats.invalidMessages
    const huge = toWire({ chainId: A, message: { type: 'nack', from: inBooth.peerId.toString(), to: A, ballot: st.ballot, promised: { round: 1, proposer: inBooth.peerId.toString() } } })
    if (huge.promised != null) huge.promised.round = Number.MAX_SAFE_INTEGER
    await sendRaw(inBooth, a, [PaxosFrame.encode({ messages: [huge] })])
    await waitFor(() => stats.invalidMessages > invalidBefore, { message: 'the round out of range refused' })

    // the chain is a's alone: the next write lands at the next height, under the same ballot
    const next = await a.put('k2', utf8.encode('v2'))
    expect(next.height).toBe(tipBefore.height + 1)
    expect(new TextDecoder().decode((await a.get(A, 'k1')).value)).toBe('v1')
    expect(replica?.status().ballot).toEqual(st.ballot)
    expect(replica?.status().role).toBe('leader')
  })

  it('vehicles that send accepts they never decide hold no more of a member\'s room than its budget allows (--member-undecided-bytes), past it a window each', async () => {
    // m's budget is nothing: each vehicle's booth gets its floor only (5 slots of the largest block)
    const first = await cluster.create({ memberUndecidedBytes: 0 })
    await first.start()
    const rest = await Promise.all([0, 1].map(async () => await cluster.create({ bootstrap: [first.multiaddrs[0].toString()] })))
    await Promise.all(rest.map(async r => { await r.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { message: 'swarm of 3' })
    const [m, ...vehicles] = nodes
    const M = m.peerId.toString()
    const big = new Uint8Array(4 * 1024 * 1024)
    for (const e of vehicles) {
      const E = e.peerId.toString()
      await e.put('k', utf8.encode('v'))
      const st = e.consensus.driver.replicaOf(E)?.status()
      if (st == null || !st.booth.includes(M)) throw new Error(`m is not in ${E}'s booth`)
      // ten 4 MiB values at the slots after its commit, at its own ballot, that it never decides
      for (let i = 1; i <= 10; i++) {
        const accept: Message = { type: 'accept', from: E, to: M, ballot: st.ballot, slot: st.decided + i, value: { kind: 'data', id: `never-${i}`, data: big }, booth: st.booth, commit: st.decided }
        await sendRaw(e, m, [PaxosFrame.encode({ messages: [toWire({ chainId: E, message: accept })] })])
      }
    }
    const members = (): Array<{ undecidedBytes: number, votesWithheld: number }> => m.consensus.status().filter(r => r.kind === 'member')
    await waitFor(() => members().length === 2 && members().every(r => r.undecidedBytes + r.votesWithheld * big.byteLength >= 10 * big.byteLength), { message: 'm took every accept' })
    for (const r of members()) {
      // five values of the ten (20 MiB); without the budget, all ten (40 MiB, within a chain's 64 MiB)
      expect(r.undecidedBytes).toBe(5 * big.byteLength)
      expect(r.votesWithheld).toBe(5)
    }
    // and the vehicles' own chains go on (their next writes are decided at those slots or past them)
    for (const e of vehicles) expect((await e.put('after', utf8.encode('v'), { timeout: 30_000 })).height).toBeGreaterThan(1)
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
      await lp.write(PaxosFrame.encode({ hello: { priority: 1, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: true, incarnation: new Uint8Array(0), readmitted: [], heldBack: [], sharedFounding: new Uint8Array(0), instance: new Uint8Array(0), clones: [], recorded: [], sharedRefused: false }, messages: [] }), { signal: AbortSignal.timeout(5_000) })
      await lp.read({ signal: AbortSignal.timeout(8_000) })
      return false
    })().catch(() => true)
    expect(failed).toBe(true)
    expect(a.consensus.driver.transport.stats.messagesIn).toBe(0)
    expect(a.peers()).toHaveLength(0)
  })
})
