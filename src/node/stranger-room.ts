/**
 * Keeps room in the connection limit for members. libp2p refuses an inbound
 * connection, before any pruning, once MAX_CONNECTIONS are open; a peer is
 * known for a member only once identify ran, and one that never answers it is
 * held 10 s and then through 3 retries, a reconnect round each and up to
 * identify's 5 s timeout (16–30 s with the default 2 s rounds). Peer ids cost nothing, so strangers on an open network took all
 * 300, and a vehicle dialling in was refused until the first were hung up (a
 * test: 7 s with 250 ms rounds), for good if they redialled. Connections of
 * peers not known for members are few at once instead, and the oldest makes
 * way for a new one.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { MAX_CONNECTIONS } from './libp2p.ts'

/**
 * Connections of peers not known for members (not identified yet, or refused
 * and not hung up yet) held at once: a fifth of MAX_CONNECTIONS, so members
 * keep 240 (a member needs one, three at most). The oldest goes first: a
 * vehicle is identified within a second of connecting, so only 60 newer
 * stranger connections opening meanwhile would push one out (it dials
 * again), where one that never answers identify or was refused is the
 * oldest. Vehicles starting together connect in tens at once, below it.
 */
export const MAX_STRANGER_CONNECTIONS = Math.floor(MAX_CONNECTIONS / 5)

/** A stranger's connection closed to keep room for members (see MAX_STRANGER_CONNECTIONS). */
export class StrangerLimitError extends Error {
  static name = 'StrangerLimitError'
  constructor (message = `more than ${MAX_STRANGER_CONNECTIONS} connections of peers not known for members`) {
    super(message)
    this.name = 'StrangerLimitError'
  }
}

/**
 * Of the open inbound connections of peers `isMember` does not know, the
 * oldest beyond `limit`. Our own dials are not counted: we chose whom to dial
 * (bootstrap, members' views, mDNS), and a vehicle joining a big fleet dials
 * tens of vehicles at once, each a stranger until identify ends; closing
 * those would only have them dialled again.
 */
export function strangersPastLimit (connections: Iterable<Connection>, isMember: (peer: PeerId) => boolean, limit = MAX_STRANGER_CONNECTIONS): Connection[] {
  const strangers = [...connections].filter(c => c.status === 'open' && c.direction === 'inbound' && !isMember(c.remotePeer))
  if (strangers.length <= limit) return []
  return strangers.sort((a, b) => a.timeline.open - b.timeline.open).slice(0, strangers.length - limit)
}
