export const TOPIC_NAME = 'peers'
/**
 * 2: message ids are by content (messageId in src/node/libp2p.ts), where 1 had gossipsub's
 * sender and sequence number; nodes with the two would not understand each other's IHAVE/IWANT
 * (see BOOTHS_TOPIC_VERSION).
 */
export const TOPIC_VERSION = 2
/** Bounds what one announcement can make us do: at most this many peers, each with a few addresses. */
export const MAX_PEERS_PER_ANNOUNCEMENT = 128
export const MAX_ADDRS_PER_PEER = 8
export const MAX_ANNOUNCEMENT_BYTES = 64 * 1024
/** Storage figures that change in a burst (copies taken or released one after another) go out as one announcement per this many ms. */
export const ANNOUNCE_DEBOUNCE = 1_000
/**
 * How often we check whether our view changed without a trigger having sent
 * it (a peer's addresses learned late), so partitions that heal find each
 * other again and storage hints stay fresh.
 */
export const ANNOUNCE_INTERVAL = 10_000
/** An unchanged view is repeated this often, for whoever missed it (see RepeatFilter). */
export const ANNOUNCE_REFRESH = 60_000
/** The stream a vehicle's view goes straight to a member that just connected. */
export const PROTOCOL_NAME = 'peer-exchange'
export const PROTOCOL_VERSION = '1.0.0'
/** A direct announcement is one message: sent, or read, within this time. */
export const DIRECT_TIMEOUT = 5_000
/** How long an inbound direct announcement waits for identify to show its sender is a member. */
export const MEMBERSHIP_WAIT = 3_000
/** One per member at a time is plenty: they are sent once per connection. */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4
