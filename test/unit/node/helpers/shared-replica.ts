/**
 * Replica n3 of a shared chain (genesis booth n1, n2, n3; n1 the best-ranked
 * candidate), real LevelDB for its consensus state, its chain fetched with
 * `fetchTo`, its messages collected in `sent`: driven message by message.
 */
import { prefixLogger } from '@libp2p/logger'
import type { NodeDatabase } from '../../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../../src/storage/paxos-store.ts'
import type { MemoryChainStore } from '../../../../src/storage/index.ts'
import { ChainReplica } from '../../../../src/node/paxos-replica.ts'
import type { ReplicaDeps } from '../../../../src/node/replica-types.ts'
import type { ChainMessage } from '../../../../src/protocols/paxos/index.ts'

export const SHARED = 'shared'
export const BOOTH = ['n1', 'n2', 'n3']

export async function openShared (db: NodeDatabase, store: MemoryChainStore, sent: ChainMessage[], fetchTo: (peer: string, height: number) => Promise<void>, clock = (): number => performance.now(), fetchWriteIds?: ReplicaDeps['fetchWriteIds']): Promise<ChainReplica> {
  return await ChainReplica.open({
    chainId: SHARED,
    self: 'n3',
    kind: 'shared',
    storage: new LevelPaxosStore(db).storage(SHARED),
    store,
    send: (messages) => { sent.push(...messages) },
    connected: () => ['n1', 'n2'],
    boothSize: 3,
    log: prefixLogger('n3').forComponent('replica'),
    random: () => 0.5,
    now: () => Date.now(),
    clock,
    fetchTo,
    ...(fetchWriteIds != null ? { fetchWriteIds } : {})
  }, { genesis: BOOTH, election: { mode: 'elected', candidates: [{ id: 'n1', priority: 9 }, { id: 'n2', priority: 0 }, { id: 'n3', priority: 0 }] } })
}
