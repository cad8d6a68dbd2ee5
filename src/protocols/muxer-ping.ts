/**
 * A ping on one connection, by its stream muxer (a yamux PING frame, answered
 * by the peer's frame loop): no stream, no protocol negotiation. Liveness
 * (src/node/liveness.ts) pings every member's connections with it; the paxos
 * transport asks with it whether a process still runs behind a connection
 * (src/protocols/paxos/clones.ts).
 *
 * A caller waits for the pong until its signal (untilAborted, until-aborted.ts),
 * but leaves the ping itself alone: yamux aborts the whole connection when a pong arrives for a ping it no longer
 * waits for ("ping doesn't match our id", or "ping not requested"), so a ping
 * given up on at our deadline killed every connection of a peer that was only
 * slow, at its first late answer, not after the misses liveness allows (a
 * vehicle frozen for 10 s lost all its connections when it woke, and the
 * shared chain's interim leader could not hear the next one for seconds).
 * The ping stays the muxer's active one until its pong comes; the next ones
 * wait on it (yamux runs one at a time).
 */
import type { AbortOptions, Connection } from '@libp2p/interface'

export interface PingingMuxer { ping: (options?: AbortOptions) => Promise<number> }

/** The connection's muxer if it can ping (yamux can); libp2p keeps it on a field its Connection interface does not name. */
export function pingingMuxer (connection: Connection): PingingMuxer | undefined {
  const muxer = (connection as Connection & { muxer?: Partial<PingingMuxer> }).muxer
  return typeof muxer?.ping === 'function' ? muxer as PingingMuxer : undefined
}
