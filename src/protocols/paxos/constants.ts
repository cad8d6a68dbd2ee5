/**
 * Limits and timeouts of /vguard/paxos/1.0.0. Every one is a default the
 * transport's Init can override.
 */
import { MAX_BOOTH_SIZE } from '../../consensus/index.ts'

const second = 1_000

export const PROTOCOL_NAME = 'paxos'
export const PROTOCOL_VERSION = '1.0.0'

/**
 * Largest frame accepted. A value is one block's payload (≤ 4 MiB + a little)
 * and a catch-up answer carries at most a few decided values (the driver sets
 * maxCatchup accordingly); anything bigger is a broken or hostile peer.
 */
export const MAX_FRAME_BYTES = 24 * 1024 * 1024

/** Frames the sender builds: messages are packed up to this size (a single bigger message goes alone). */
export const TARGET_FRAME_BYTES = 256 * 1024

/** Messages per frame: a Ready to one peer rarely holds more than a window of accepts plus heartbeats. */
export const MAX_MESSAGES_PER_FRAME = 4_096

/** Entries per message (promises, decided answers) and booth epochs per message. */
export const MAX_ENTRIES_PER_MESSAGE = 4_096
export const MAX_EPOCHS_PER_MESSAGE = 1_024

/** Repeated peer-id fields (booths, members) are bounded by the largest booth. */
export const MAX_MEMBERS = MAX_BOOTH_SIZE

/** Readmitted members a hello names at most (Hello.readmitted: the latest). */
export const MAX_READMITTED = 16

/**
 * An inbound stream that brings no frame for this long is closed: yamux has
 * no idle timeout, and a leader heartbeats far more often than this. The
 * sender reopens a stream when it next has something to say.
 */
export const IDLE_TIMEOUT = 60 * second
/** How long a sender may keep its end of an idle inbound stream open once we ended ours: HALF_CLOSED_GRACE (../stream.ts). */
export { HALF_CLOSED_GRACE } from '../stream.ts'

/**
 * How long a connection that carries an older process of a peer has to
 * answer a ping once a newer process of that peer speaks (clones.ts): no
 * pong, and it is hung up. A round trip on a LAN takes milliseconds; a
 * process that answers later still counts as a clone once it speaks.
 */
export const OLDER_PROCESS_PING_TIMEOUT = 3 * second

/** Opening a stream to a peer. */
export const DIAL_TIMEOUT = 5 * second

/** One frame write that does not finish in this time (a peer that stopped reading) ends the stream. */
export const WRITE_TIMEOUT = 10 * second

/** After a failed dial, messages to that peer are dropped for this long (Paxos retransmits). */
export const REDIAL_BACKOFF = 500

/** Bytes queued for one peer before the oldest queued messages are dropped (Paxos tolerates loss). */
export const MAX_QUEUE_BYTES = 64 * 1024 * 1024

/**
 * Streams per connection: one each way is all the transport uses; a little
 * slack covers a stream being replaced while the old one closes.
 */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4

/**
 * Bytes of frames partly received at once, over every inbound stream
 * (InboundBudget): a few whole frames of the largest size. Without it a member
 * holding its 4 streams per connection with 24 MiB frames all but their last
 * byte sent pushed a node past 500 MiB.
 */
export const INBOUND_BUDGET = 128 * 1024 * 1024
