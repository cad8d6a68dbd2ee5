/**
 * @packageDocumentation
 *
 * `/vguard/paxos/1.0.0`: the transport of booth consensus. It carries the
 * messages of the pure state machine (src/consensus) between members, and
 * nothing else: no decisions are made here.
 *
 * Guarantees:
 * - the sender of every delivered message is the stream's remote peer,
 *   authenticated by Noise, and a connected member of our network; the
 *   addressee is this node — neither is taken from the bytes;
 * - frames are length-prefixed, at most 24 MiB, with every repeated field
 *   bounded; a frame that breaks a limit or does not decode ends its stream,
 *   a message that fails `validateMessage` is dropped alone;
 * - one long-lived stream per peer and direction, reopened after a failure;
 *   inbound streams idle for 60 s are closed; writes time out after 10 s;
 * - delivery is best effort (Paxos retransmits): per-peer queues are bounded
 *   and shed their oldest messages when a peer stops reading.
 *
 * @example
 *
 * ```ts
 * const transport = paxosTransport()({ libp2p, logger, isMember: (p) => peering.isMember(p) })
 * transport.onMessage = (from, { chainId, message }) => replicas.get(chainId)?.step(message)
 * await transport.start()
 * transport.send([{ chainId, message: rd.messages[0] }])
 * ```
 */
import { PaxosTransport } from './transport.ts'
import type { PaxosTransportComponents, PaxosTransportInit } from './transport.ts'

export { PaxosTransport } from './transport.ts'
export type { PaxosTransportComponents, PaxosTransportInit, PaxosTransportStats, HelloInfo } from './transport.ts'
export type { ChainMessage, ChainPoint, SnapshotPoint } from './messages.ts'
export { toWire, fromWire } from './messages.ts'
export { PaxosFrame, PaxosMessage, Batch } from './pb/paxos.ts'
export { PROTOCOL_NAME, PROTOCOL_VERSION, MAX_FRAME_BYTES } from './constants.ts'
export { OlderProcessGoneError } from './errors.ts'
export { CLONE_WINDOW } from './clones.ts'

export function paxosTransport (init: PaxosTransportInit = {}): (components: PaxosTransportComponents) => PaxosTransport {
  return (components) => new PaxosTransport(components, init)
}
