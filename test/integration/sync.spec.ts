/**
 * Reconcile over real libp2p (TCP on 127.0.0.1) and real LevelDB: a zombie
 * catches up after a restart, and a peer serving a forged block over the real
 * /vguard/sync/1.0.0 protocol is dropped while the chain stays valid.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { prefixLogger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { emptyTip, tipOf, verifyBlock, sha256, createBlock } from '../../src/chain/index.ts'
import type { Block, ChainTip } from '../../src/chain/index.ts'
import { BlockHeader } from '../../src/chain/pb/chain.ts'
import { sync } from '../../src/protocols/sync/index.ts'
import { response } from '../../src/protocols/sync/messages.ts'
import { blockBytes } from '../../src/storage/index.ts'
import type { ChainStore } from '../../src/storage/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { lyingStore } from '../utils/lying-store.ts'
import { buildChain, collect, enc } from '../unit/storage/helpers.ts'
import { gpsTransaction } from '../../src/workload/gps.ts'

const CHAIN = 'vehicle-7'
const addr = (n: VGuardNode): string => n.multiaddrs[0].toString()

function blocksAfter (tip: ChainTip, n: number): Block[] {
  return buildChain(tip, n, h => ({
    timestamp: Date.now(),
    transactions: [
      { key: `gps/${h}`, value: enc.encode(`{"lat":49.${h},"lon":8.${h}}`) },
      { key: 'gps/latest', value: enc.encode(String(h)) }
    ]
  }))
}

async function appendInBatches (store: ChainStore, blocks: Block[]): Promise<void> {
  for (let i = 0; i < blocks.length; i += 100) await store.appendMany(blocks.slice(i, i + 100))
}

async function verifiedHeight (store: ChainStore, chainId = CHAIN): Promise<number> {
  let prev: ChainTip = emptyTip(chainId)
  for await (const b of store.blocks(chainId)) {
    verifyBlock(b, prev)
    prev = tipOf(b)
  }
  return prev.height
}

async function sameChain (a: ChainStore, b: ChainStore): Promise<void> {
  expect((await collect(b.blocks(CHAIN))).map(x => x.hash)).toEqual((await collect(a.blocks(CHAIN))).map(x => x.hash))
  expect(await collect(b.entries(CHAIN))).toEqual(await collect(a.entries(CHAIN)))
}

/** A copy of a block with a different payload and recomputed hashes: valid on its own, but not the chain's block. */
function forge (block: Block): Block {
  const payload = createBlock({ prev: emptyTip('x'), proposer: 'x', timestamp: 0, transactions: [{ key: 'gps/latest', value: enc.encode('somewhere else') }] }).payload ?? new Uint8Array()
  const header = { ...block.header, payloadHash: sha256(payload) as Uint8Array<ArrayBuffer>, payloadBytes: payload.byteLength, txCount: 1 }
  const headerBytes = BlockHeader.encode(header)
  return { header: BlockHeader.decode(headerBytes), headerBytes, hash: sha256(headerBytes), payload }
}

describe('sync - reconcile over libp2p', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  /** A with 10 blocks, B synced to them and stopped, then A appends `more`: B's data dir is a zombie's. */
  async function zombieBehind (more: number): Promise<{ a: VGuardNode, dataDir: string }> {
    const a = await cluster.create()
    await a.start()
    await appendInBatches(a.chains, blocksAfter(emptyTip(CHAIN), 10))
    const dataDir = await cluster.tempDir()
    const b = await cluster.create({ dataDir, bootstrap: [addr(a)] })
    await b.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a and b connected' })
    // B, asked, fetches the first 10 blocks (a baby only fetches when asked)
    const [first] = await b.sync.reconcile(CHAIN)
    expect(first).toMatchObject({ before: 0, after: 10, dropped: [] })
    await cluster.stopNode(b)
    await appendInBatches(a.chains, blocksAfter(await a.chains.tip(CHAIN), more))
    expect((await a.chains.tip(CHAIN)).height).toBe(10 + more)
    return { a, dataDir }
  }

  it('a zombie restarted after A appended 1,000 blocks catches up from A', async () => {
    const { a, dataDir } = await zombieBehind(1_000)
    // the zombie loads its chain from disk and reconciles as soon as A connects
    const b = await cluster.create({ dataDir, bootstrap: [addr(a)] })
    expect((await b.chains.tip(CHAIN)).height).toBe(10)
    await b.start()
    await waitFor(async () => (await b.chains.tip(CHAIN)).height === 1_010, { timeout: 30_000, message: 'b caught up to 1010' })
    expect(await verifiedHeight(b.chains)).toBe(1_010)
    await sameChain(a.chains, b.chains)
    expect((await b.chains.get(CHAIN, 'gps/latest'))?.height).toBe(1_010)
  })

  // Under load in CI the zombie above sometimes never caught up: A connected
  // while B's consensus was still reading its state from disk, B ignored the
  // connection (not started yet), and nothing asked again. Here B's start is
  // held until A is connected, every time.
  it('a zombie reconciles with a peer that connected while it was still starting', async () => {
    const { a, dataDir } = await zombieBehind(20)
    const zombie = await cluster.create({ dataDir, bootstrap: [addr(a)] })
    const start = zombie.consensus.start.bind(zombie.consensus)
    let held = false
    vi.spyOn(zombie.consensus, 'start').mockImplementation(async () => {
      await waitFor(() => zombie.peers().some(p => p.peerId === a.peerId.toString()), { message: 'a connected to the starting zombie' })
      held = true
      await start()
    })
    await zombie.start()
    expect(held).toBe(true)
    await waitFor(async () => (await zombie.chains.tip(CHAIN)).height === 30, { message: 'the zombie caught up to 30' })
    await sameChain(a.chains, zombie.chains)
  })

  it('a zombie whose first ask goes unanswered asks the peer again while it stays connected', async () => {
    const { a, dataDir } = await zombieBehind(20)
    const zombie = await cluster.create({ dataDir, bootstrap: [addr(a)] })
    // the zombie's first tip request for the chain times out (a loaded peer); later ones go through
    const tip = zombie.sync.tip.bind(zombie.sync)
    let failed = 0
    vi.spyOn(zombie.sync, 'tip').mockImplementation(async (peer, chainId, options) => {
      if (chainId === CHAIN && failed === 0) {
        failed++
        throw Object.assign(new Error('no tip within 5000 ms'), { name: 'TimeoutError' })
      }
      return await tip(peer, chainId, options)
    })
    await zombie.start()
    await waitFor(async () => (await zombie.chains.tip(CHAIN)).height === 30, { message: 'the zombie caught up to 30' })
    expect(failed).toBe(1)
    await sameChain(a.chains, zombie.chains)
  })

  /** A holds 20 blocks of CHAIN; B, connected, holds the first 10 (a copy it keeps); `room` gives B the capacity for the first 10 and this many bytes more. */
  async function copyBehind (room?: (missing: number) => number): Promise<{ a: VGuardNode, b: VGuardNode }> {
    const a = await cluster.create()
    await a.start()
    const chain = blocksAfter(emptyTip(CHAIN), 20)
    await a.chains.appendMany(chain)
    const bytes = (blocks: Block[]): number => blocks.reduce((n, x) => n + blockBytes(x), 0)
    const capacity = room != null ? bytes(chain.slice(0, 10)) + room(bytes(chain.slice(10))) : undefined
    const b = await cluster.create({ bootstrap: [addr(a)], capacity })
    await b.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a and b connected' })
    await b.chains.appendMany(chain.slice(0, 10))
    return { a, b }
  }

  // A release (release-and-forward) deletes a copy while a zombie's reconcile
  // of it may be under way: seen in CI, the fetch began from the emptied chain
  // and brought the whole copy back, so the backup held the data it was told
  // to drop and answered readers with it.
  it('a copy released after a reconcile read the peers\' tips is not fetched back from nothing', async () => {
    const { a, b } = await copyBehind()
    const tip = b.sync.tip.bind(b.sync)
    vi.spyOn(b.sync, 'tip').mockImplementation(async (peer, chainId, options) => {
      if (chainId === CHAIN) await b.chains.deleteChain(CHAIN)
      return await tip(peer, chainId, options)
    })
    const [result] = await b.sync.reconcile(undefined, { peers: [a.peerId] })
    expect(result).toMatchObject({ before: 10, after: 0, sources: [], dropped: [] })
    expect(await b.chains.info(CHAIN)).toBeUndefined()
  })

  it('a copy released during a reconcile\'s fetch stops it: nothing more is stored, and the peer is not blamed', async () => {
    const { a, b } = await copyBehind()
    const appendMany = b.chains.appendMany.bind(b.chains)
    let appends = 0
    vi.spyOn(b.chains, 'appendMany').mockImplementation(async (blocks, options) => {
      if (appends++ === 0) await b.chains.deleteChain(CHAIN)
      return await appendMany(blocks, options)
    })
    const [result] = await b.sync.reconcile(undefined, { peers: [a.peerId] })
    expect(appends).toBe(1)
    expect(result).toMatchObject({ before: 10, after: 0, sources: [], dropped: [] })
    expect(await b.chains.info(CHAIN)).toBeUndefined()
  })

  // A copy held for another vehicle grew through reconcile without a look at
  // capacity or the disk: a vehicle back from a restart could fill its disk
  // with a chain it was about to be released from, and stop its own chain.
  it('a copy grows through reconcile only within the capacity left; the peer is not blamed', async () => {
    const { a, b } = await copyBehind(missing => missing - 1)
    const [result] = await b.sync.reconcile(undefined, { peers: [a.peerId] })
    // the blocks that fitted stay: all but the last, which arrives on its own (held back until the end)
    expect(result).toMatchObject({ before: 10, after: 19, sources: [a.peerId.toString()], dropped: [], noRoom: true })
    expect(await verifiedHeight(b.chains)).toBe(19)
    expect(await b.vguarddb.freeCapacity()).toBeLessThan(blockBytes((await a.chains.getBlock(CHAIN, 20))!))
    // the room it claimed went back
    expect(b.vguarddb.replicate.reservedBytes).toBe(0)
    expect(b.vguarddb.replicate.openRoom().bytes).toBe(0)
  })

  it('a copy with room enough reconciles to the end', async () => {
    const { a, b } = await copyBehind(missing => missing)
    const [result] = await b.sync.reconcile(undefined, { peers: [a.peerId] })
    expect(result).toMatchObject({ before: 10, after: 20, dropped: [], noRoom: false })
    expect(await b.vguarddb.freeCapacity()).toBe(0)
    await sameChain(a.chains, b.chains)
  })

  it('a peer serving a forged block is dropped; the chain stays valid and completes from an honest peer', async () => {
    const honest = await cluster.create()
    await honest.start()
    const liar = await cluster.create()
    await liar.start()
    const b = await cluster.create({ bootstrap: [addr(honest), addr(liar)] })
    await b.start()
    await waitFor(() => fullyConnected([honest, liar, b]), { message: 'three connected' })

    // the liar has the longest chain (60) and forges block 20 when it serves it,
    // over the real protocol: its own sync service is replaced by one reading a lying store
    await liar.sync.stop()
    const forger = sync()({ libp2p: liar.libp2p, store: lyingStore(liar.chains, 20, forge), logger: prefixLogger('liar'), peers: () => [] })
    await forger.start()
    const chain = blocksAfter(emptyTip(CHAIN), 60)
    await appendInBatches(liar.chains, chain)
    await appendInBatches(honest.chains, chain.slice(0, 50))
    try {
      await b.chains.appendMany(chain.slice(0, 10))
      const [result] = await b.sync.reconcile(CHAIN)
      expect(result.before).toBe(10)
      expect(result.after).toBe(50)
      expect(result.dropped.map(d => d.peer)).toEqual([liar.peerId.toString()])
      expect(result.dropped[0].reason).toMatch(/InvalidBlockError \(WrongPrevHash\)/)
      expect(result.sources).toEqual([honest.peerId.toString()])
      expect(await verifiedHeight(b.chains)).toBe(50)
      await sameChain(honest.chains, b.chains)
      expect((await b.chains.getBlock(CHAIN, 20))?.hash).toEqual(chain[19].hash)
    } finally {
      await forger.stop()
    }
  })

  it('a peer that answers for one chain with blocks of another this node holds is dropped: neither chain changes', async () => {
    const liar = await cluster.create()
    await liar.start()
    const b = await cluster.create({ bootstrap: [addr(liar)] })
    await b.start()
    await waitFor(() => fullyConnected([liar, b]), { message: 'two connected' })
    // b holds CHAIN and OTHER (its own chain, a backup copy: any it holds) at height 10; the liar,
    // asked for CHAIN from 11, serves OTHER's blocks 11..20, which link onto b's OTHER
    const OTHER = 'vehicle-9'
    const other = blocksAfter(emptyTip(OTHER), 20)
    await b.chains.appendMany(other.slice(0, 10))
    await b.chains.appendMany(blocksAfter(emptyTip(CHAIN), 10))
    await appendInBatches(liar.chains, other)
    await liar.sync.stop()
    const swapped = new Proxy(liar.chains, {
      get (target, prop) {
        const value = Reflect.get(target, prop) as unknown
        if (typeof value !== 'function') return value
        return (chainId: unknown, ...rest: unknown[]) => (value as (...a: unknown[]) => unknown).call(target, chainId === CHAIN ? OTHER : chainId, ...rest)
      }
    })
    const forger = sync()({ libp2p: liar.libp2p, store: swapped, logger: prefixLogger('liar'), peers: () => [] })
    await forger.start()
    try {
      const [result] = await b.sync.reconcile(CHAIN, { peers: [liar.peerId] })
      expect(result.dropped.map(d => d.peer)).toEqual([liar.peerId.toString()])
      expect(result.dropped[0].reason).toMatch(/InvalidBlockError \(WrongChain\)/)
      expect((await b.chains.tip(OTHER)).height).toBe(10)
      expect(await verifiedHeight(b.chains)).toBe(10)
    } finally {
      await forger.stop()
    }
  })

  it('a vouched fetch refuses a frame of headers without a header: a peer cannot hold it with padded empty frames', async () => {
    const peer = await cluster.create()
    await peer.start()
    const b = await cluster.create({ bootstrap: [addr(peer)] })
    await b.start()
    await waitFor(() => fullyConnected([peer, b]), { message: 'two connected' })
    const chain = blocksAfter(emptyTip(CHAIN), 5)
    await peer.sync.stop()
    let frames = 0
    await peer.libp2p.handle(b.sync.protocol, async (stream) => {
      const lp = lpStream(stream)
      try {
        await lp.read()
        // credit comes back for each frame; the padding passes the progress floor
        while (true) {
          await lp.write(response({ message: 'x'.repeat(64 * 1024) }))
          frames++
          await lp.read()
        }
      } catch (err) {
        stream.abort(err as Error)
      }
    })
    await expect(b.sync.fetch(peer.peerId, CHAIN, { vouch: { height: 5, hash: chain[4].hash } })).rejects.toThrow(/an empty frame/)
    expect(frames).toBe(1)
    expect(await b.chains.info(CHAIN)).toBeUndefined()
  })

  it('a vehicle\'s chain is taken from others only up to the tip its owner signed: a forged extension is never stored', async () => {
    // A commits three booths; C is its backup (k = 1); B hears the signed table by gossip
    const [A, B, C, M] = await connectedSwarm(cluster, 4, { kBackups: 1 })
    const chainId = A.peerId.toString()
    for (let booth = 0; booth < 3; booth++) {
      await A.endOfBooth({ participants: [C.peerId.toString()], transactions: [gpsTransaction(booth)] })
    }
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.height === 3, { message: 'B holds the table A signed at height 3' })
    const real = await collect(A.chains.blocks(chainId))
    // M, a member of the network, serves A's chain with blocks of its own making linked onto it:
    // first a forged block 3 (and more on top), then the real chain with 5 forged blocks after it
    const forgedTip = [...real.slice(0, 2), ...blocksAfter(tipOf(real[1]), 6)]
    await M.chains.appendMany(forgedTip)
    const [first] = await B.sync.reconcile(chainId, { peers: [M.peerId] })
    expect(first.dropped.map(d => d.peer)).toEqual([M.peerId.toString()])
    expect(first.dropped[0].reason).toMatch(/InvalidBlockError \(Unvouched\)/)
    expect(await B.chains.info(chainId)).toBeUndefined()

    await M.chains.deleteChain(chainId)
    await M.chains.appendMany([...real, ...blocksAfter(tipOf(real[2]), 5)])
    const [second] = await B.sync.reconcile(chainId, { peers: [M.peerId] })
    expect(second).toMatchObject({ before: 0, after: 3, dropped: [] })
    expect((await B.chains.tip(chainId)).hash).toEqual(real[2].hash)
    expect(await verifiedHeight(B.chains, chainId)).toBe(3)

    // from A itself (the connection proves who it is) B takes what A has beyond its last table
    await A.chains.appendMany(blocksAfter(tipOf(real[2]), 2))
    const [third] = await B.sync.reconcile(chainId, { peers: [M.peerId, A.peerId] })
    expect(third).toMatchObject({ before: 3, after: 5, sources: [chainId] })
    expect((await collect(B.chains.blocks(chainId))).map(b => b.hash)).toEqual((await collect(A.chains.blocks(chainId))).map(b => b.hash))
  })

  it('the shared chain is taken from a member only up to what consensus applied here: a member\'s forged extension is never stored', async () => {
    const [V, L, M] = await connectedSwarm(cluster, 3)
    await waitFor(() => [V, L, M].every(n => n.consensus.driver.shared()?.leader() != null), { timeout: 30_000, message: 'a shared-chain leader' })
    for (let i = 0; i < 3; i++) await L.put(`gps/${i}`, enc.encode(String(i)), { chainId: 'shared' })
    await waitFor(async () => (await V.chains.tip('shared')).height >= 3 && (await M.chains.tip('shared')).height >= 3, { message: 'V and M applied three blocks' })
    const tip = await V.chains.tip('shared')
    // M, a member, links blocks of its own onto the real tip and offers them
    await M.chains.appendMany(blocksAfter(await M.chains.tip('shared'), 4))
    const [result] = await V.sync.reconcile('shared', { peers: [M.peerId] })
    expect(result).toMatchObject({ before: tip.height, after: tip.height, sources: [] })
    expect((await V.chains.tip('shared')).hash).toEqual(tip.hash)
  })
})
