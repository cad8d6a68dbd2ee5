import type { Sync } from '../protocols/sync/index.ts'
import type { NodeDatabase } from '../storage/database.ts'
import type { ChainStore } from '../storage/index.ts'
import type { StorageMaster } from '../storage/retention.ts'
import type { CapacityNews } from './capacity-news.ts'
import type { Consensus } from './consensus.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import type { MemoryClock } from './memory-clock.ts'
import type { Peering } from './peering.ts'
import type { ReconcileOnConnect } from './reconcile-on-connect.ts'
import type { VGuardDB } from './vguarddb.ts'

/** The node's services, as stopServices stops them. */
export interface RunningServices {
  peering: Peering
  reconciler: ReconcileOnConnect
  capacityNews: CapacityNews
  vguarddb: VGuardDB
  consensus: Consensus
  storageMaster: StorageMaster
  sync: Sync
  libp2p: VGuardLibp2p
}

/**
 * Every service, in order, each whatever the one before did; the first
 * failure is thrown at the end. `unlisten` takes the node's own listeners
 * off (peer:connected, chain:committed) before any service stops.
 */
export async function stopServices (services: RunningServices, unlisten: () => void): Promise<void> {
  services.peering.stop()
  services.reconciler.stop()
  unlisten()
  services.capacityNews.stop()
  const steps = [
    // no background round starts while the node stops (one under way is cut with the others by vguarddb.stop)
    async () => { void services.vguarddb.stopBackground() },
    // first: a leaving vehicle must not become a fresh backup while the rest stops
    async () => { await services.vguarddb.replicate.stop() },
    async () => { await services.consensus.stop() },
    async () => { await services.storageMaster.stop() },
    async () => { await services.sync.stop() },
    async () => { await services.vguarddb.stop() },
    async () => { await services.libp2p.stop() }
  ]
  let failure: unknown
  for (const step of steps) {
    try {
      await step()
    } catch (err) {
      failure ??= err
    }
  }
  if (failure != null) throw failure
}

/** What closeStorage closes. */
export interface NodeStorage {
  memoryClock: MemoryClock
  consensus: Consensus
  chains: ChainStore
  store: NodeDatabase
}

/** The chain store first (it waits for queued writes), then the database under it. */
export async function closeStorage (storage: NodeStorage): Promise<void> {
  try {
    // its last reading, for the next run to go on from
    await storage.memoryClock.close()
    // a start that failed left them open for a retry
    await storage.consensus.driver.closeFiles()
    await storage.chains.close()
  } finally {
    await storage.store.close()
  }
}
