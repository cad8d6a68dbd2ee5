/**
 * Booth members on the road: a node meets many vehicles, and the consensus
 * state it keeps for their chains must not pile up. Real nodes (libp2p over
 * TCP on 127.0.0.1, LevelDB and value logs in temp dirs): at its member limit
 * a node gives way to a new vehicle once the old one is silent; a member whose
 * proposer went silent drops the values it kept; a restart retires what the
 * last run left; a retired member's vote still counts when its proposer is
 * back.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode, VGuardNodeOptions } from '../../src/node/index.ts'
import { PAXOS_VALUES_DIR, valueLogDir } from '../../src/storage/paxos-values.ts'
import { LevelPaxosStore } from '../../src/storage/paxos-store.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { MEMBER_EVICT_SILENCE, PAXOS_TIMING, TICK_MS } from '../../src/node/paxos-constants.ts'

const utf8 = new TextEncoder()
/** Above the value log's 64 KiB threshold: the member keeps it in a segment file. */
const BIG = 100 * 1024

function valueLog (dataDir: string, chainId: string): string {
  return join(dataDir, PAXOS_VALUES_DIR, valueLogDir(chainId))
}

async function segmentsIn (dir: string): Promise<string[]> {
  return await readdir(dir).catch(() => [])
}

function memberChains (node: VGuardNode): string[] {
  return node.consensus.driver.status().filter(s => s.kind === 'member').map(s => s.chainId)
}

describe('consensus - booth members retire', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  /** A vehicle that bootstraps to x, started and connected to it. */
  async function vehicle (x: VGuardNode, overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode> {
    const v = await cluster.create({ kBackups: 0, bootstrap: [x.multiaddrs[0].toString()], ...overrides })
    await v.start()
    const xid = x.peerId.toString()
    await waitFor(() => v.peers().some(p => p.peerId === xid), { timeout: 30_000, message: 'vehicle connected to x' })
    return v
  }

  /**
   * A big value, then a small one: the small one's accept tells x that the
   * big one is decided (a member learns commits from the next message), so
   * only the small one's slot may stay undecided at x when v goes.
   */
  async function commitBig (v: VGuardNode, x: VGuardNode, key: string): Promise<number> {
    await commitWithX(v, x, key, randomBytes(BIG))
    return await commitWithX(v, x, `${key}-after`, utf8.encode(key))
  }

  /** A block committed by `v` whose booth holds x. */
  async function commitWithX (v: VGuardNode, x: VGuardNode, key: string, value: Uint8Array): Promise<number> {
    const { height } = await v.put(key, value)
    const block = await v.chains.getBlock(v.peerId.toString(), height)
    expect(block?.header.booth).toContain(x.peerId.toString())
    return height
  }

  it('at its limit, a member gives way to a new vehicle once the old one is silent, and the values it kept leave the disk', async () => {
    const xDir = await cluster.tempDir()
    const x = await cluster.create({ dataDir: xDir, kBackups: 0, memberChains: 1, memberIdle: 600_000 })
    await x.start()
    const p1 = await vehicle(x)
    const p1id = p1.peerId.toString()
    await commitBig(p1, x, 'big')
    expect(memberChains(x)).toEqual([p1id])
    expect(await segmentsIn(valueLog(xDir, p1id))).toHaveLength(1)
    await cluster.stopNode(p1)

    // without a place for it, x would ignore p2, and a booth {p2, x} has no majority
    const p2 = await vehicle(x)
    await commitWithX(p2, x, 'k', utf8.encode('v'))
    expect(memberChains(x)).toEqual([p2.peerId.toString()])
    await waitFor(() => !existsSync(valueLog(xDir, p1id)), { timeout: 10_000, message: 'p1\'s value log deleted on x' })
  })

  it('at its limit, a member does not give way while the old vehicle lives, however idle: its slow heartbeats keep its place', async () => {
    const x = await cluster.create({ kBackups: 0, memberChains: 1, memberIdle: 600_000 })
    await x.start()
    const p1 = await vehicle(x)
    const p1id = p1.peerId.toString()
    await commitWithX(p1, x, 'k', utf8.encode('v1'))
    expect(memberChains(x)).toEqual([p1id])
    // p1 writes nothing for longer than a silent owner is given: only its idle heartbeats
    // (PAXOS_TIMING.idleHeartbeatTicks) tell x that it lives. Time passing is the point here.
    await new Promise(resolve => setTimeout(resolve, MEMBER_EVICT_SILENCE + 2 * PAXOS_TIMING.idleHeartbeatTicks * TICK_MS))

    const p2 = await vehicle(x)
    await waitFor(() => p2.peers().some(p => p.peerId === p1id), { timeout: 30_000, message: 'p2 met p1' })
    // p2's booth has its majority without x (p1 takes part); x keeps serving p1
    await p2.put('k', utf8.encode('v2'))
    expect(memberChains(x)).toEqual([p1id])
    await commitWithX(p1, x, 'k', utf8.encode('v3'))
  })

  it('a member whose proposer stays silent drops its values; a restart retires what the last run left; a returning proposer continues its chain with it', async () => {
    const xDir = await cluster.tempDir()
    const p1Dir = await cluster.tempDir()
    let x = await cluster.create({ dataDir: xDir, kBackups: 0, memberIdle: 1_000 })
    await x.start()
    let p1 = await vehicle(x, { dataDir: p1Dir })
    const p1id = p1.peerId.toString()
    await commitBig(p1, x, 'a')
    await cluster.stopNode(p1)
    // silent for memberIdle: retired, its value log gone
    await waitFor(() => memberChains(x).length === 0 && !existsSync(valueLog(xDir, p1id)), {
      timeout: 15_000,
      message: 'p1 retired on x',
      state: async () => ({ members: x.consensus.driver.status().filter(s => s.kind === 'member'), segments: await segmentsIn(valueLog(xDir, p1id)) })
    })

    // p1 back: x takes part again from what it kept; then x stops while still in p1's booth
    p1 = await vehicle(x, { dataDir: p1Dir })
    const h2 = await commitBig(p1, x, 'b')
    expect(h2).toBe(4)
    expect(memberChains(x)).toEqual([p1id])
    // x first: stopped before p1 has been silent for memberIdle
    await cluster.stopNode(x)
    await cluster.stopNode(p1)
    expect(await segmentsIn(valueLog(xDir, p1id))).toHaveLength(1)

    // restarted with a long memberIdle: the state the last run left is retired all the same
    x = await cluster.create({ dataDir: xDir, kBackups: 0, memberIdle: 600_000 })
    await x.start()
    await waitFor(() => !existsSync(valueLog(xDir, p1id)), { timeout: 10_000, message: 'leftover member state retired after restart' })

    // the promise and commit stay: p1 continues its chain with x, no fork, nothing lost
    p1 = await vehicle(x, { dataDir: p1Dir })
    const h3 = await commitWithX(p1, x, 'c', utf8.encode('3'))
    expect(h3).toBe(5)
    for (const key of ['a', 'a-after', 'b', 'b-after', 'c']) expect(await p1.chains.get(p1id, key)).toBeDefined()
    await cluster.stopNode(p1)
    await cluster.stopNode(x)
    const db = await openDatabase(xDir)
    try {
      const hs = await new LevelPaxosStore(db).storage(p1id).hardState()
      expect(hs?.commit).toBeGreaterThan(0)
      expect(hs?.promised.proposer).toBe(p1id)
    } finally {
      await db.close()
    }
  })

  it('a member keeps big values by bytes too: a few MiB, not 40 slots of them (their data stays in its memory until compacted)', async () => {
    const xDir = await cluster.tempDir()
    const x = await cluster.create({ dataDir: xDir, kBackups: 0 })
    await x.start()
    const p1 = await vehicle(x)
    const p1id = p1.peerId.toString()
    const MiB = 1024 * 1024
    // 24 slots of 1 MiB: below memberCompactEvery, so a count alone compacted nothing
    const writes = PAXOS_TIMING.memberCompactBytes / MiB + 8
    expect(writes).toBeLessThan(PAXOS_TIMING.memberCompactEvery)
    for (let i = 0; i < writes; i++) await commitWithX(p1, x, `k${i}`, randomBytes(MiB))
    const member = (): { compacted: number, decided: number } | undefined => x.consensus.driver.status().find(s => s.chainId === p1id)
    await waitFor(() => (member()?.compacted ?? 0) > 0, { message: 'x compacted by bytes' })
    await cluster.stopNode(x)
    const db = await openDatabase(xDir)
    try {
      const state = await new LevelPaxosStore(db).storage(p1id).load()
      const held = state?.entries.filter(e => e.value.kind === 'data' && e.slot > (state?.hardState.compacted ?? 0)).length ?? Infinity
      // what it kept, plus what was decided since it last compacted (under memberCompactBytes)
      expect(held).toBeLessThanOrEqual((PAXOS_TIMING.memberCompactKeepBytes + PAXOS_TIMING.memberCompactBytes) / MiB + PAXOS_TIMING.window)
    } finally {
      await db.close()
    }
  })

  it('a member of a live booth keeps only the last few decided values: it holds no copy of the chain', async () => {
    const xDir = await cluster.tempDir()
    const x = await cluster.create({ dataDir: xDir, kBackups: 0 })
    await x.start()
    const p1 = await vehicle(x)
    const p1id = p1.peerId.toString()
    for (let i = 0; i < 120; i++) await commitWithX(p1, x, `k${i}`, utf8.encode(String(i)))
    expect(memberChains(x)).toEqual([p1id])
    await cluster.stopNode(x)
    const db = await openDatabase(xDir)
    try {
      const state = await new LevelPaxosStore(db).storage(p1id).load()
      // compacted every memberCompactEvery slots down to memberCompactKeep, plus what is in flight
      expect(state?.hardState.compacted).toBeGreaterThan(0)
      expect(state?.entries.length).toBeLessThanOrEqual(PAXOS_TIMING.memberCompactEvery + PAXOS_TIMING.memberCompactKeep + PAXOS_TIMING.window)
    } finally {
      await db.close()
    }
  })
})
