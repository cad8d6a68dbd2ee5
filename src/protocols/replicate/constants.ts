import { protocolId } from '../constants.ts'

export const PROTOCOL_NAME = 'replicate'
export const PROTOCOL_VERSION = '1.0.0'
export const REPLICATE_PROTOCOL = protocolId(PROTOCOL_NAME, PROTOCOL_VERSION)

const KiB = 1024
const MiB = 1024 * KiB
const second = 1000

/** One frame must hold the largest block (4 MiB of payload plus its header) with room to spare. */
export const MAX_MESSAGE_BYTES = 6 * MiB
/** Blocks are batched into frames of about this size. */
export const TARGET_FRAME_BYTES = 512 * KiB
/**
 * Bytes sent but not yet acknowledged as appended. libp2p's send()/onDrain()
 * did not bound a writer's queue in our tests (64 MiB sat queued locally), so
 * the window is ours: it bounds memory on both ends and lets the network
 * overlap the backup's disk writes. It must stay below the 4 MiB a libp2p
 * stream buffers for a reader that is busy (appending): past that the stream
 * is reset (measured: an 8 MiB window reset 64 MiB transfers).
 */
export const WINDOW_BYTES = 3 * MiB
/** A peer that says nothing for this long is given up on (per message, not per transfer). */
export const MESSAGE_TIMEOUT = 10 * second
/** Concurrent transfers one node accepts: a backup serves several proposers at once. */
export const MAX_INBOUND_STREAMS = 16
export const MAX_OUTBOUND_STREAMS = 16
