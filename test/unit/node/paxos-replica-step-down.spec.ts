/**
 * Three shared-chain replicas wired through an in-memory router (real LevelDB
 * for their consensus state, memory chain stores), driven tick by tick. A
 * leader that took a write it could not propose yet (no majority connected)
 * loses the lead to another candidate: the write must come back at once with
 * NotProposerError naming the new leader, so the caller forwards it there,
 * not wait out its deadline and fail as if no quorum existed (found by the
 * permissioned shared-chain test).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefixLogger } from '@libp2p/logger'
import type { Message } from '../../../src/consensus/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { PAXOS_TIMING } from '../../../src/node/paxos-constants.ts'
import { enc } from '../storage/helpers.ts'

const SHARED = 'shared'
const IDS = ['n1', 'n2', 'n3']
const CANDIDATES = [{ id: 'n1', priority: 9 }, { id: 'n2', priority: 5 }, { id: 'n3', priority: 0 }]

describe('node - a shared-chain leader that loses the lead', () => {
  const dirs: string[] = []
  const dbs: NodeDatabase[] = []
  const replicas: ChainReplica[] = []
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map(async r => { await r.close() }))
    await Promise.all(dbs.splice(0).map(async d => { await d.close() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  /** n1, n2, n3 over a router whose links can be cut; n1 leads when it resolves. */
  async function threeReplicas (): Promise<{ n1: ChainReplica, cut: Set<string>, connected: Record<string, string[]>, tick: () => Promise<void>, tickUntil: (cond: () => boolean, what: string, max?: number) => Promise<void>, newLeader: () => string | undefined }> {
    /** Links that drop what they carry: "from>to". */
    const cut = new Set<string>()
    const connected: Record<string, string[]> = Object.fromEntries(IDS.map(id => [id, IDS.filter(x => x !== id)]))
    const byId = new Map<string, ChainReplica>()
    for (const id of IDS) {
      const dir = await mkdtemp(join(tmpdir(), 'vguard-stepdown-'))
      dirs.push(dir)
      const db = await openDatabase(dir)
      dbs.push(db)
      const replica = await ChainReplica.open({
        chainId: SHARED,
        self: id,
        kind: 'shared',
        storage: new LevelPaxosStore(db).storage(SHARED),
        store: new MemoryChainStore(),
        send: (messages) => {
          for (const { message } of messages) {
            if (cut.has(`${message.from}>${message.to}`)) continue
            // delivered in a later turn, as a network would
            setImmediate(() => { byId.get(message.to)?.step(message as Message) })
          }
        },
        connected: () => connected[id],
        boothSize: 3,
        log: prefixLogger(id).forComponent('replica'),
        random: () => 0.5,
        now: () => Date.now()
      }, { genesis: IDS, election: { mode: 'elected', candidates: CANDIDATES } })
      replicas.push(replica)
      byId.set(id, replica)
    }
    const [n1] = replicas
    const tick = async (): Promise<void> => {
      for (const r of replicas) r.tick()
      await new Promise(resolve => setImmediate(resolve))
      await new Promise(resolve => setImmediate(resolve))
    }
    const tickUntil = async (cond: () => boolean, what: string, max = 20 * PAXOS_TIMING.electionTicks): Promise<void> => {
      for (let i = 0; i < max && !cond(); i++) await tick()
      expect(cond(), what).toBe(true)
    }

    n1.campaign()
    await tickUntil(() => n1.isLeader() && replicas.every(r => r.leader() === 'n1'), 'n1 leads')
    // another candidate that took over (n2 or n3, as their timers fall)
    const newLeader = (): string | undefined => replicas.find(r => r !== n1 && r.isLeader())?.status().leader ?? undefined
    return { n1, cut, connected, tick, tickUntil, newLeader }
  }

  it('hands back the writes it had not proposed, naming the new leader', async () => {
    const { n1, cut, connected, tick, tickUntil, newLeader } = await threeReplicas()
    // n1 sees no majority now: a write it takes waits in its buffer
    connected.n1 = []
    const write = encodeWrite([{ key: 'k', value: enc.encode('v') }])
    let outcome: Error | undefined
    const pending = n1.submit(write, { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed on a leader without a majority') },
      (err: Error) => { outcome = err })
    await tick()
    expect(outcome).toBeUndefined()
    expect(n1.status().pending).toBe(1)

    // n1 falls silent to the others
    cut.add('n1>n2')
    cut.add('n1>n3')
    // another candidate takes over, and its heartbeats reach n1
    await tickUntil(() => newLeader() != null && n1.leader() === newLeader(), 'another member leads and n1 follows it')
    // at once: its deadline is a minute away
    await tickUntil(() => outcome != null, 'the write comes back')
    await pending
    expect(outcome?.name).toBe('NotProposerError')
    expect((outcome as Error & { leader?: string }).leader).toBe(newLeader())
    expect(n1.status().pending).toBe(0)
  })

  it('keeps a write an earlier state machine proposed: it may be decided yet, and a retry could commit it twice', async () => {
    const { n1, cut, tick, tickUntil, newLeader } = await threeReplicas()
    // n1 proposes the write, but its accepts reach no one
    cut.add('n1>n2')
    cut.add('n1>n3')
    let outcome: Error | undefined
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('v') }]), { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed without its accepts delivered') },
      (err: Error) => { outcome = err })
    await tickUntil(() => n1.status().outstanding === 1, 'the write is proposed')
    await tickUntil(() => newLeader() != null && n1.leader() === newLeader(), 'another member leads and n1 follows it')
    // a new candidate's hello rebuilds n1's state machine: the proposal's write goes back to the buffer
    n1.updateElection({ mode: 'elected', candidates: [...CANDIDATES, { id: 'n4', priority: 0 }] })
    await tickUntil(() => n1.status().pending === 1, 'the write is back in the buffer')
    for (let i = 0; i < 4; i++) await tick()
    expect(outcome).toBeUndefined()
    expect(n1.status().pending).toBe(1)
  })
})
