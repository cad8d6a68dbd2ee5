export const TOPIC_NAME = 'peers'
export const TOPIC_VERSION = 1
/** Bounds what one announcement can make us do: at most this many peers, each with a few addresses. */
export const MAX_PEERS_PER_ANNOUNCEMENT = 128
export const MAX_ADDRS_PER_PEER = 8
export const MAX_ANNOUNCEMENT_BYTES = 64 * 1024
/** Coalesce the burst of subscription changes when several vehicles join at once. */
export const ANNOUNCE_DEBOUNCE = 1_000
/**
 * How often we check whether our view changed without a trigger having sent
 * it (a peer's addresses learned late), so partitions that heal find each
 * other again and storage hints stay fresh.
 */
export const ANNOUNCE_INTERVAL = 10_000
/** An unchanged view is repeated this often, for whoever missed it (see RepeatFilter). */
export const ANNOUNCE_REFRESH = 60_000
