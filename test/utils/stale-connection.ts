import type { Connection } from '@libp2p/interface'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { waitFor } from './wait.ts'

interface Internals {
  muxer: { onTransportClosed: () => void }
  maConn: { socket: { localPort: number, pause: () => void } }
}

/**
 * Leaves `connection` (a's, to b) as a stopping peer's GoAway does when its
 * TCP close has not come yet: a's stream muxer closed, the connection open.
 * b stops reading it first, as a peer that stopped would: a pong b sent to
 * a ping of a's that the closed muxer no longer waits for made yamux abort
 * the connection at once.
 */
export async function leaveHalfClosed (a: VGuardLibp2p, b: VGuardLibp2p, connection: Connection): Promise<void> {
  const port = (connection as unknown as Internals).maConn.socket.localPort
  const bSide = (): Connection | undefined => b.getConnections(a.peerId).find(c => c.remoteAddr.toString().includes(`/tcp/${port}/`))
  await waitFor(() => bSide() != null, { message: 'b to hold its end of the connection' })
  ;(bSide() as unknown as Internals).maConn.socket.pause()
  ;(connection as unknown as Internals).muxer.onTransportClosed()
}
