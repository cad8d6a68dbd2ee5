/**
 * Incarnations: random bytes made with a node's database, sent in its paxos
 * hello. A peer id that shows other bytes than before lost its database, and
 * with it what it promised and accepted: counted again as if it had never
 * voted, it and a member that missed the last blocks could decide others at
 * their heights (a review forked the shared chain so, with acknowledged
 * writes lost). Peers that remember it hold its votes back until the chain
 * has gone on without it (see forgetful-members.ts).
 *
 * Kept in the `incarnations` sublevel: ours under `self`, the members this
 * node counted again after they lost theirs under `readmitted` (what its
 * hello announces: ForgetfulPeers), each peer's under `peer/<id>` (MAX_PEERS at most; the one met longest ago is forgotten
 * first, and a peer forgotten is taken as new when it comes back, as one
 * never met is).
 */
import { randomBytes } from 'node:crypto'
import type { BinarySublevel } from '../storage/database.ts'
import type { Readmission } from './forgetful-peers.ts'

/**
 * Peers whose incarnation is remembered at most (some 70 bytes each): every
 * peer met is, since any may vote a moment later, and one forgotten is taken
 * as new; so the bound is far above the vehicles one meets in a long while.
 */
export const MAX_PEERS = 65_536

/** Bytes of an incarnation; a hello's other lengths are ignored (a peer of an earlier version sends none). */
export const INCARNATION_BYTES = 16

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()
const SELF_KEY = utf8.encode('self')
const READMITTED_KEY = utf8.encode('readmitted')
const PEER_PREFIX = 'peer/'
const peerKey = (peer: string): Uint8Array => utf8.encode(`${PEER_PREFIX}${peer}`)
// level's option types do not name sync, which classic-level takes
const SYNC = { sync: true } as Record<string, unknown>

export class Incarnations {
  /** Ours: made when the database was, loaded by open(). */
  self: Uint8Array = new Uint8Array(0)
  /** Members this node counted again after they lost their database (loaded by open()). */
  readmitted: Readmission[] = []
  private readonly peers = new Map<string, string>()

  constructor (private readonly db: BinarySublevel, private readonly maxPeers = MAX_PEERS) {}

  async open (): Promise<void> {
    const stored = await this.db.get(SELF_KEY)
    if (stored != null && stored.byteLength === INCARNATION_BYTES) {
      this.self = stored
    } else {
      this.self = new Uint8Array(randomBytes(INCARNATION_BYTES))
      await this.db.put(SELF_KEY, this.self, SYNC)
    }
    this.readmitted = parseReadmitted(await this.db.get(READMITTED_KEY))
    for await (const [key, value] of this.db.iterator({ gte: utf8.encode(PEER_PREFIX), lt: utf8.encode('peer0') })) {
      this.peers.set(utf8d.decode(key).slice(PEER_PREFIX.length), utf8d.decode(value))
    }
  }

  /** The incarnation (hex) remembered for a peer, if any. */
  of (peer: string): string | undefined {
    return this.peers.get(peer)
  }

  /** A peer met again goes to the back of the line to be forgotten (in memory: a restart orders them by id). */
  touch (peer: string): void {
    const known = this.peers.get(peer)
    if (known == null) return
    this.peers.delete(peer)
    this.peers.set(peer, known)
  }

  /** Remembers a peer's incarnation (hex), durably: it is what tells its votes apart after a lost database. */
  async remember (peer: string, incarnation: string): Promise<void> {
    this.peers.delete(peer)
    this.peers.set(peer, incarnation)
    await this.db.put(peerKey(peer), utf8.encode(incarnation), SYNC)
    for (const oldest of this.peers.keys()) {
      if (this.peers.size <= this.maxPeers) break
      this.peers.delete(oldest)
      await this.db.del(peerKey(oldest))
    }
  }

  /** Keeps what this node's hello announces it readmitted, durably: a restart announces it still. */
  async saveReadmitted (list: Readmission[]): Promise<void> {
    this.readmitted = list
    await this.db.put(READMITTED_KEY, utf8.encode(JSON.stringify(list)), SYNC)
  }
}

/** The stored list, its well-formed entries only (an unreadable one is as none: the members are announced again when readmitted again). */
function parseReadmitted (stored: Uint8Array | undefined): Readmission[] {
  if (stored == null) return []
  try {
    const list: unknown = JSON.parse(utf8d.decode(stored))
    if (!Array.isArray(list)) return []
    return list.filter((r): r is Readmission => typeof r === 'object' && r != null && typeof r.peer === 'string' &&
      typeof r.incarnation === 'string' && Number.isSafeInteger(r.slot) && r.slot >= 0)
  } catch {
    return []
  }
}
