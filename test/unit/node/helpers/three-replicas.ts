/**
 * Three shared-chain replicas wired through an in-memory router (real LevelDB
 * for their consensus state, memory chain stores), driven tick by tick, with
 * links that can be cut one direction at a time.
 */
import { expect } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefixLogger } from '@libp2p/logger'
import type { Message } from '../../../../src/consensus/index.ts'
import { openDatabase } from '../../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../../src/storage/paxos-store.ts'
import { MemoryChainStore } from '../../../../src/storage/index.ts'
import { ChainReplica } from '../../../../src/node/paxos-replica.ts'
import { PAXOS_TIMING } from '../../../../src/node/paxos-constants.ts'

export const SHARED = 'shared'
export const IDS = ['n1', 'n2', 'n3']
export const CANDIDATES = [{ id: 'n1', priority: 9 }, { id: 'n2', priority: 5 }, { id: 'n3', priority: 0 }]

export interface ThreeReplicaSet {
  n1: ChainReplica
  byId: Map<string, ChainReplica>
  stores: Map<string, MemoryChainStore>
  /** Links that drop what they carry: "from>to". */
  cut: Set<string>
  /** Messages matching any of these are dropped too. */
  dropIf: Array<(message: Message) => boolean>
  /** Whom each replica believes connected (booth upkeep and quorum checks). */
  connected: Record<string, string[]>
  tick: () => Promise<void>
  tickUntil: (cond: () => boolean, what: string, max?: number) => Promise<void>
  /** Another replica that took over from n1 (n2 or n3, as their timers fall). */
  newLeader: () => string | undefined
}

export class ThreeReplicas {
  private readonly dirs: string[] = []
  private readonly dbs: NodeDatabase[] = []
  private readonly replicas: ChainReplica[] = []

  /** n1, n2, n3 over the router; n1 leads when it resolves. `clock`: each one's monotonic clock (deadlines), performance.now by default. */
  async open (options: { clock?: (id: string) => () => number } = {}): Promise<ThreeReplicaSet> {
    const cut = new Set<string>()
    const dropIf: Array<(message: Message) => boolean> = []
    const connected: Record<string, string[]> = Object.fromEntries(IDS.map(id => [id, IDS.filter(x => x !== id)]))
    const byId = new Map<string, ChainReplica>()
    const stores = new Map<string, MemoryChainStore>()
    for (const id of IDS) {
      const dir = await mkdtemp(join(tmpdir(), 'vguard-replicas-'))
      this.dirs.push(dir)
      const db = await openDatabase(dir)
      this.dbs.push(db)
      const store = new MemoryChainStore()
      stores.set(id, store)
      const replica = await ChainReplica.open({
        chainId: SHARED,
        self: id,
        kind: 'shared',
        storage: new LevelPaxosStore(db).storage(SHARED),
        store,
        send: (messages) => {
          for (const { message } of messages) {
            if (cut.has(`${message.from}>${message.to}`) || dropIf.some(drop => drop(message))) continue
            // delivered in a later turn, as a network would
            setImmediate(() => { byId.get(message.to)?.step(message as Message) })
          }
        },
        connected: () => connected[id],
        boothSize: 3,
        log: prefixLogger(id).forComponent('replica'),
        random: () => 0.5,
        now: () => Date.now(),
        ...(options.clock != null ? { clock: options.clock(id) } : {})
      }, { genesis: IDS, election: { mode: 'elected', candidates: CANDIDATES } })
      this.replicas.push(replica)
      byId.set(id, replica)
    }
    const replicas = this.replicas
    const [n1] = replicas
    // logical time moves on only once every replica has handled what the
    // last tick brought (a save can take long on a loaded machine: ticks
    // racing ahead of it would time out elections no real node would)
    const tick = async (): Promise<void> => {
      for (const r of replicas) r.tick()
      await new Promise(resolve => setImmediate(resolve))
      await new Promise(resolve => setImmediate(resolve))
      await Promise.all(replicas.map(async r => { await r.whenIdle() }))
    }
    const tickUntil = async (cond: () => boolean, what: string, max = 20 * PAXOS_TIMING.electionTicks): Promise<void> => {
      for (let i = 0; i < max && !cond(); i++) await tick()
      expect(cond(), what).toBe(true)
    }
    n1.campaign()
    await tickUntil(() => n1.isLeader() && replicas.every(r => r.leader() === 'n1'), 'n1 leads')
    const newLeader = (): string | undefined => replicas.find(r => r !== n1 && r.isLeader())?.status().leader ?? undefined
    return { n1, byId, stores, cut, dropIf, connected, tick, tickUntil, newLeader }
  }

  async close (): Promise<void> {
    await Promise.all(this.replicas.splice(0).map(async r => { await r.close() }))
    await Promise.all(this.dbs.splice(0).map(async d => { await d.close() }))
    await Promise.all(this.dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}
