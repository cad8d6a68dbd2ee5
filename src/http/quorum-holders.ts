/**
 * Why a quorum read found fewer holders than Nr. The reader knows a vehicle's
 * holders only from the backup tables it has seen (gossiped when the vehicle
 * ends a booth), and the shared chain's from its booth: the answer says which
 * of these fell short, so a 503 tells the user what to wait for or change.
 */
import type { VGuardNode } from '../node/index.ts'
import { TooFewHoldersError } from '../node/quorum-read.ts'

export function whyTooFewHolders (node: VGuardNode, chainId: string): string {
  if (chainId === 'shared') {
    const shared = node.consensus.driver.shared()
    if (shared == null) return 'this node has not joined the shared chain yet'
    return `the shared chain's booth known here has ${shared.status().booth.length} member(s)`
  }
  // our own chain: we know our k, so we can say which it is
  if (chainId === node.peerId.toString() && node.config.kBackups === 0) return 'this vehicle runs with k = 0 (--k-backups 0): it keeps no backups'
  const table = node.vguarddb.tables.get(chainId)?.table
  if (table == null) {
    // another vehicle's k is not known here: a vehicle with k = 0 never makes a table
    return 'no backup table of this chain is known here, so only the vehicle counts as a holder: neither this node nor the ' +
      'members it asked have seen its table (tables are gossiped when the vehicle ends a booth), or the vehicle runs with k = 0'
  }
  if (table.active.length === 0) return `the newest backup table known (epoch ${table.epoch}) lists no backups (none could take a copy, or k = 0)`
  return `the newest backup table known (epoch ${table.epoch}) lists ${table.active.length} backup(s)`
}

/** The same error, saying why; any other error unchanged. */
export function explainQuorumError (node: VGuardNode, chainId: string, err: unknown): unknown {
  if (!(err instanceof TooFewHoldersError)) return err
  return new TooFewHoldersError(err.holders, err.quorum, whyTooFewHolders(node, chainId))
}
