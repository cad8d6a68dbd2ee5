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
 * Bytes sent but not yet acknowledged as appended, at most. libp2p's send()/onDrain()
 * did not bound a writer's queue in our tests (64 MiB sat queued locally), so
 * the window is ours: it bounds memory on both ends and lets the network
 * overlap the backup's disk writes. With 1 MiB blocks a 3 MiB window kept
 * only three frames in flight and the proposer waited on acknowledgements;
 * 8 MiB keeps the pipeline full.
 */
export const WINDOW_BYTES = 8 * MiB
/**
 * The window a transfer starts with and never goes below: two frames. It
 * grows to about a second of the throughput acknowledged, up to the window
 * above (window.ts), so a slow link does not queue many seconds of blocks
 * ahead of everything else the two vehicles say.
 */
export const MIN_WINDOW_BYTES = 2 * TARGET_FRAME_BYTES
/**
 * The largest window a proposer uses, and what a backup's stream reader
 * buffers for (MAX_WINDOW_BYTES plus two messages): a proposer never has more
 * than its window unacknowledged, so a busy backup's unread frames stay below
 * that. @libp2p/utils' reader resets the stream past its limit, 4 MiB by
 * default (measured: an 8 MiB window against that default reset 64 MiB
 * transfers). Also what a backup keeps decoded and not yet acknowledged
 * (server.ts receive: a proposer that sends past it is not read meanwhile),
 * so a backup holds ~28 MiB per inbound transfer at most, whatever the
 * proposer does.
 */
export const MAX_WINDOW_BYTES = 8 * MiB
/** A peer that says nothing for this long is given up on (per message, not per transfer). */
export const MESSAGE_TIMEOUT = 10 * second
/**
 * A transfer must bring at least this many bytes of blocks the backup did not
 * have yet per MESSAGE_TIMEOUT spent waiting on the proposer (or end). Its
 * reservation holds the backup's room on the proposer's word: without a floor,
 * a member re-sending one block every few seconds held all of it for as long
 * as it liked, and honest vehicles found no backup there.
 */
export const PROGRESS_BYTES = 1 * MiB
/**
 * A transfer asked to top up (ReplicateOptions.topUp) sends, after the blocks
 * up to the tip it offered, those committed while it ran: at most this many
 * passes and bytes, and never more than the backup said it had free beyond
 * the offer. Bounded, so a chain written without pause still ends its round.
 */
export const TOP_UP_PASSES = 8
export const TOP_UP_BYTES = 4 * MiB
/** A whole transfer, when the caller sets no deadline of its own: a chain of GiBs to a slow backup still fits. */
export const TRANSFER_TIMEOUT = 10 * 60 * second
/**
 * How long an inbound stream from a connected peer not identified yet may
 * wait for identify to make it a member: it may open its stream the moment
 * its identify of us finished, before ours of it did.
 */
export const MEMBERSHIP_WAIT = 5 * second
/** Concurrent transfers one node accepts: a backup serves several proposers at once. */
export const MAX_INBOUND_STREAMS = 16
export const MAX_OUTBOUND_STREAMS = 16
/**
 * Bytes of OFFERs partly received at once, over every inbound stream
 * (InboundBudget): an offer is a few bytes, but may be read up to the message
 * limit, and the transfer that follows is one per owner at a time. Without it
 * a member's streams, each holding an offer all but its last byte sent, held
 * up to 6 MiB apiece.
 */
export const OFFER_BUDGET = 16 * MiB
