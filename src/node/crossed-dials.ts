/**
 * One connection per pair of vehicles: who dials when both hear of each other
 * at once, and which connection of a crossed pair of dials closes. Decisions
 * only; the peering acts on them (src/node/peering.ts).
 */
import type { Connection, PeerId } from '@libp2p/interface'

/** Our half of a crossed pair of dials, closed as it opens (the peer's connection stays). */
export class DuplicateConnectionError extends Error {
  static name = 'DuplicateConnectionError'
  constructor (message = 'another connection to the peer is open') {
    super(message)
    this.name = 'DuplicateConnectionError'
  }
}

/**
 * How long the larger peer id waits for the smaller one to dial before dialling
 * itself. Longer than a handshake takes while ten vehicles start on two cores
 * (often over 250 ms, the old value, which still left duplicate connections);
 * a pair where only the larger side has heard of the other meets this late.
 */
export const DIAL_TIE_BREAK_DELAY = 1_500

/**
 * A connection the larger peer id dials in closes as a crossed dial only while
 * the pair's other connection is this young (ms): crossed dials open within a
 * dial timeout of each other. An older one may be half-open (the peer gave up
 * on it after missed pings, we have not yet), and the peer's new dial is then
 * the connection that works.
 */
export const CROSSED_DIAL_WINDOW = 10_000

/**
 * Two vehicles usually discover each other at the same moment (one mDNS
 * response reaches both). If both dialled, every pair would pay two Noise
 * handshakes and keep a duplicate connection, which on a busy host doubles
 * the time to a full mesh. So the smaller peer id dials at once and the other
 * only if no connection exists DIAL_TIE_BREAK_DELAY later.
 */
export function dialsAtOnce (self: PeerId, peer: PeerId): boolean {
  return self.toString() < peer.toString()
}

/**
 * Whether a connection that just opened is the second of a crossed pair, to
 * close. The dials of a pair can still cross: the larger id heard of us from a
 * member's view and dialled once its tie-break delay ran out, just as we
 * heard of it from another view and dialled at once (views go to new members
 * only, so the two sides learn of each other at different moments). Of the
 * two connections, the smaller id drops the second as it opens, whoever
 * dialled it, before identify announces it to anyone: only this side acts,
 * so the pair never closes both, and gossipsub, which keeps the first
 * connection's stream, keeps it. (The larger id's dial can open second: it
 * started while ours was still in its handshake, which libp2p does not count
 * as a connection; CI saw such a pair keep both when only our own dial was
 * closed. See CROSSED_DIAL_WINDOW for when its dial is kept.)
 *
 * `connections` are our connections to the peer (the new one among them),
 * `now` the wall clock's (a connection's timeline is on it).
 */
export function secondOfCrossedPair (self: PeerId, connection: Connection, connections: Connection[], now: number): boolean {
  if (self.toString() > connection.remotePeer.toString()) return false
  return connections.some(c => c.id !== connection.id && c.status === 'open' &&
    (connection.direction === 'outbound' || now - (c.timeline.upgraded ?? c.timeline.open) < CROSSED_DIAL_WINDOW))
}
