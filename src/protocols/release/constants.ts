import { protocolId } from '../constants.ts'

export const RELEASE_PROTOCOL = protocolId('release', '1.0.0')
/** A request is one signed table (at most 16 KiB) plus framing. */
export const MAX_MESSAGE_BYTES = 32 * 1024
export const MESSAGE_TIMEOUT = 10_000
/** How long a connected peer not identified yet is waited for before its release is refused. */
export const MEMBERSHIP_WAIT = 3_000
export const MAX_INBOUND_STREAMS = 32
export const MAX_OUTBOUND_STREAMS = 32
