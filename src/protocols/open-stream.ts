/**
 * Which of a peer's connections a new stream opens on. libp2p's
 * dialProtocol looks at a connection's status only, and a connection whose
 * peer stopped may linger open with its muxer closed: every stream opened
 * there failed until liveness closed it (src/node/liveness.ts).
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

/**
 * Whether the connection is open while its stream muxer is not: the peer's
 * yamux GoAway arrived (its node stopping) and closed our muxer, and its TCP
 * close has not come. A member's replies to a restarted proposer failed on
 * such a connection, each retry 500 ms later, while the new one was up.
 */
export function muxerClosed (connection: Connection): boolean {
  const status = (connection as Connection & { muxer?: { status?: string } }).muxer?.status
  return connection.status === 'open' && status != null && status !== 'open'
}

/** The newest of the connections that can carry a new stream (open, muxer open), if any. */
export function usableConnection (connections: Connection[]): Connection | undefined {
  return connections
    .filter(c => c.status === 'open' && !muxerClosed(c))
    .reduce<Connection | undefined>((newest, c) => newest == null || c.timeline.open > newest.timeline.open ? c : newest, undefined)
}

/**
 * Opens a stream to `peer` for `protocol` on its newest connection that can
 * carry one (usableConnection), dialling only when it has none. A libp2p
 * that lists no connections (a test's) dials.
 */
export async function openStream (
  libp2p: Pick<Libp2p, 'dialProtocol'> & Partial<Pick<Libp2p, 'getConnections'>>,
  peer: PeerId,
  protocol: string,
  options: { signal?: AbortSignal, negotiateFully?: boolean }
): Promise<Stream> {
  const connection = usableConnection(libp2p.getConnections?.(peer) ?? [])
  return connection != null ? await connection.newStream(protocol, options) : await libp2p.dialProtocol(peer, protocol, options)
}
