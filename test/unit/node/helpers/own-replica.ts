/**
 * A vehicle's own-chain replica with a booth of one (it decides alone), on a
 * real LevelDB for its consensus state and a memory chain store, ticked every
 * 10 ms until stopped.
 */
import { afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefixLogger } from '@libp2p/logger'
import { openDatabase } from '../../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../../src/storage/paxos-store.ts'
import type { LevelPaxosStorage } from '../../../../src/storage/paxos-store.ts'
import { MemoryChainStore } from '../../../../src/storage/index.ts'
import { ChainReplica } from '../../../../src/node/paxos-replica.ts'
import type { ReplicaDeps } from '../../../../src/node/replica-types.ts'

export const SELF = 'car'

export interface OwnReplica {
  replica: ChainReplica
  /** Stops the ticks and closes the replica. */
  stop: () => Promise<void>
}

export async function openOwnReplica (db: NodeDatabase, overrides: Partial<ReplicaDeps> = {}): Promise<OwnReplica> {
  const replica = await ChainReplica.open({
    chainId: SELF,
    self: SELF,
    kind: 'own',
    storage: new LevelPaxosStore(db).storage(SELF),
    store: new MemoryChainStore(),
    send: () => {},
    connected: () => [],
    boothSize: 1,
    log: prefixLogger(SELF).forComponent('replica'),
    random: () => 0.5,
    now: () => Date.now(),
    ...overrides
  }, { genesis: [SELF], election: { mode: 'fixed', proposer: SELF } })
  const ticker = setInterval(() => { replica.tick() }, 10)
  return {
    replica,
    stop: async () => {
      clearInterval(ticker)
      await replica.close()
    }
  }
}

/** Booth member `self` of the vehicle SELF's chain (fixed proposer SELF), untouched by ticks. */
export async function openMemberReplica (storage: LevelPaxosStorage, overrides: Partial<ReplicaDeps> & { self: string }): Promise<ChainReplica> {
  return await ChainReplica.open({
    chainId: SELF,
    kind: 'member',
    storage,
    store: new MemoryChainStore(),
    send: () => {},
    connected: () => [SELF],
    boothSize: 3,
    log: prefixLogger(overrides.self).forComponent('replica'),
    random: () => 0.5,
    now: () => Date.now(),
    ...overrides
  }, { genesis: [SELF], election: { mode: 'fixed', proposer: SELF } })
}

/**
 * For a describe block: a database in a temp dir (`database()`) and the
 * replica opened on it (`open()`), both closed and removed after each test.
 */
export function useOwnReplica (): { database: () => Promise<NodeDatabase>, open: (overrides?: Partial<ReplicaDeps>) => Promise<ChainReplica> } {
  let dir: string | undefined
  let db: NodeDatabase | undefined
  let own: OwnReplica | undefined
  afterEach(async () => {
    await own?.stop()
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
    own = db = dir = undefined
  })
  const database = async (): Promise<NodeDatabase> => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-replica-'))
    db = await openDatabase(dir)
    return db
  }
  return {
    database,
    open: async (overrides = {}) => {
      own = await openOwnReplica(db ?? await database(), overrides)
      return own.replica
    }
  }
}
