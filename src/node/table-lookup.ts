/**
 * Finding a chain's backups when the reader knows none that answer.
 *
 * A reader learns a chain's backup table from gossip when the vehicle ends a
 * booth, or from a redirect. A vehicle that joined after the chain's proposer
 * left heard neither, and a reader whose table is old may find all its
 * backups gone; yet its neighbours heard the newer tables (and the backups
 * themselves are among them). So, once the holders it knows have failed, the
 * reader asks a few connected members at once for the chain's tip: every
 * answer that carries a signed table is verified and the newest adopted
 * (tables.adopt), and its active backups are then asked as usual. A member
 * that answers the tip itself holds a copy (an obsolete backup the proposer
 * left before releasing, say): it is named too, so that the reader asks it
 * for the data when the table's backups are gone. Without that, a chain whose
 * proposer and active backups had all left stayed unreadable although a live
 * vehicle held it (seen in the soak).
 */
import type { PeerId } from '@libp2p/interface'
import type { BackupTable, VerifiedTable } from '../backup/index.ts'
import { ReadRequest, ReadResponse } from '../protocols/read/pb/read.ts'
import { readRequest } from '../protocols/read/messages.ts'
import { failedAsk } from '../protocols/read/index.ts'
import type { LookupResult, PathEntry } from '../protocols/read/index.ts'

/** Members asked at once: enough that one which heard the gossip is among them, few enough to stay cheap. */
export const TABLE_LOOKUP_PEERS = 8

export interface TableLookupInit {
  chainId: string
  /** Connected members of our network, in no particular order. */
  peers: PeerId[]
  /** Peers not to ask (already asked by the read). */
  exclude: Set<string>
  ask: (peer: PeerId, request: ReadRequest) => Promise<ReadResponse>
  /** Verifies and adopts a table: the one now held, and the one given (`shown`; the held one if not given). */
  adopt: (signed: Uint8Array, chainId: string) => Promise<{ table: VerifiedTable, adopted: boolean, shown?: VerifiedTable }>
  random: () => number
  limit?: number
  /** Peers asked first if connected (the chain's owner, which always shows its newest table). */
  first?: string[]
}

/**
 * One path entry per member asked (`redirect` when it showed a table, `holder` when it holds a copy but
 * knows no table, else what it answered), the members that hold a copy, and the tables shown, verified
 * (older ones than the newest too: a vehicle checks its own chain holds the tip of each, see VGuardDB).
 */
export type TableLookupResult = LookupResult & { shown: BackupTable[] }

/**
 * Asks up to `limit` members (a random choice) for the chain's tip and adopts
 * the tables they carry. Never throws.
 */
export async function lookupTable (init: TableLookupInit): Promise<TableLookupResult> {
  const candidates = init.peers.filter(p => !init.exclude.has(p.toString()))
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(init.random() * (i + 1))
    ;[candidates[i], candidates[j]] = [candidates[j], candidates[i]]
  }
  const first = new Set(init.first ?? [])
  candidates.sort((x, y) => Number(first.has(y.toString())) - Number(first.has(x.toString())))
  const request: ReadRequest = readRequest({ kind: ReadRequest.Kind.TIP, chainId: init.chainId })
  const holders: string[] = []
  const shown: BackupTable[] = []
  const path = await Promise.all(candidates.slice(0, init.limit ?? TABLE_LOOKUP_PEERS).map(async (peer): Promise<PathEntry> => {
    const peerId = peer.toString()
    let res: ReadResponse
    try {
      res = await init.ask(peer, request)
    } catch (err) {
      return failedAsk(peerId, err as Error)
    }
    // only a member that holds the chain answers its tip with OK (height ≥ 1)
    const holds = res.status === ReadResponse.Status.OK && res.height > 0
    if (holds) holders.push(peerId)
    if (res.table.byteLength === 0) {
      if (holds) return { peerId, outcome: 'holder', epoch: res.epoch, height: res.height, error: 'holds a copy, knows no table of this chain' }
      return { peerId, outcome: res.status === ReadResponse.Status.FORBIDDEN ? 'refused' : 'unavailable', error: res.message !== '' ? res.message : 'knows no table of this chain' }
    }
    try {
      const { table, shown: given } = await init.adopt(res.table, init.chainId)
      shown.push((given ?? table).table)
      return { peerId, outcome: 'redirect', epoch: table.table.epoch, height: table.table.height }
    } catch (err) {
      return { peerId, outcome: 'invalid', error: `bad table: ${(err as Error).message}` }
    }
  }))
  return { path, holders, shown }
}
