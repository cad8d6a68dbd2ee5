import { MAX_CHAIN_ID_BYTES, MAX_HEADER_BYTES, MAX_PAYLOAD_BYTES } from '../../chain/index.ts'

const second = 1000

export const PROTOCOL_NAME = 'sync'
export const PROTOCOL_VERSION = '1.0.0'

/**
 * Per message: a peer that sends nothing for this long (a request, a credit,
 * a frame) is dropped. yamux has no idle timeout of its own, so without this a
 * silent peer would hold a stream slot for minutes. Reset after each message:
 * a long sync is fine as long as it keeps moving.
 */
export const TIMEOUT = 10 * second

/**
 * How long the responder waits for a peer to be admitted (identify may finish
 * just after the peer opened its stream) before it refuses it.
 */
export const MEMBERSHIP_WAIT = 3 * second

/**
 * A fetch must move at least this many bytes per TIMEOUT spent waiting on
 * the peer (or finish). The per-message timeout alone lets a peer that sends
 * a block now and then, just under it each time, hold a chain's reconcile
 * (and the honest peers queued behind it) for as long as it likes. 100 KiB/s
 * is far below any LAN; a peer slower than that is dropped and the next asked.
 */
export const PROGRESS_BYTES = 1024 * 1024

/**
 * A reconcile's fetch that received nothing for this long hands the chain's
 * turn to the next reconcile of it, and runs on beside it: a peer that
 * answered its tip and then stalled held every other reconcile of the chain
 * (the honest peers' catch-up) for TIMEOUT. Far above a frame's gap on any
 * working link; a fetch slower than that only costs a second fetch of the
 * same blocks, whose appends the store serialises (one of them is told the
 * chain moved on).
 */
export const STALL_GRACE = 2 * second

/** A TIP exchange during reconcile: small, so a dead peer must not delay the others long. */
export const TIP_TIMEOUT = 5 * second

/** Requests carry a chain id and three numbers. */
export const MAX_REQUEST_BYTES = MAX_CHAIN_ID_BYTES + 64

/** One frame holds at least one block, and the largest block must fit. */
export const MAX_MESSAGE_BYTES = MAX_PAYLOAD_BYTES + MAX_HEADER_BYTES + 1024

/** Frames are filled with whole blocks up to about this size: large enough to amortise framing, small enough to pipeline. */
export const FRAME_BYTES = 1024 * 1024

/**
 * What a responder buffers of a requester's messages: a request, then the
 * CREDITs it has not read yet (one per frame sent, ~200 bytes each, a window
 * of 16 MiB in frames of ~1 MiB: a few KiB). The reader's 4 MiB default let a
 * member that went on sending hold that much on each of its 32 streams.
 */
export const RESPONDER_READ_BUFFER_BYTES = 64 * 1024

/** Bounds the decoder's work on one frame (and the repeated field, as every repeated field should be). */
export const MAX_BLOCKS_PER_FRAME = 16_384

/**
 * Bytes of frames in flight before the requester grants more credit. The
 * responder stops at zero credit, so at most WINDOW + one frame sit in buffers
 * (libp2p's send()/drain alone did not bound a writer's queue).
 */
export const WINDOW_BYTES = 8 * 1024 * 1024

/**
 * The credit a BLOCKS request gives and never goes below: two frames. It
 * grows to about a second of the exchange's throughput, up to WINDOW_BYTES
 * (credit-window.ts), so a slow link does not queue many seconds of blocks
 * ahead of everything else the two vehicles say.
 */
export const MIN_WINDOW_BYTES = 2 * FRAME_BYTES

/**
 * A requester cannot ask us to stream more than this ahead of its credits (on
 * one stream). Twice the default window: an honest requester is never slowed.
 */
export const MAX_WINDOW_BYTES = 16 * 1024 * 1024

/**
 * Bytes a responder has sent and not yet had credited back, over all the
 * streams it serves (every peer, every chain). A requester that never reads
 * leaves what we write queued in our memory: without this bound 32 such
 * streams per connection, at 64 MiB of credit each, grew a node by gigabytes.
 * A stream with no room waits (its per-message timeout applies) until others
 * are credited back or time out.
 */
export const SERVE_BUDGET_BYTES = 48 * 1024 * 1024

/**
 * One peer's share of the budget, over all its streams: two rogue peers still
 * leave others a third of it. One stream at the default window fits with the
 * run it reads ahead; a second one of the same peer waits now and then for
 * the first one's credits.
 */
export const PEER_SERVE_BUDGET_BYTES = 16 * 1024 * 1024

/**
 * BLOCKS streams of one peer that read our store at once; its others wait
 * their turn (first come, first served, within the per-message timeout). A
 * stream waiting for room in the budget still holds what its store read ahead
 * (with inline blocks up to ~3 MiB: the run it waits to take room for and the
 * iterator's next batches), outside the budget: 32 streams of a peer that
 * never reads held ~113 MiB past its 16 MiB share. Four take that to ~14 MiB,
 * and a node fetches a handful of chains of one peer at a time (reconcile
 * goes chain by chain).
 */
export const PEER_READERS = 4

/** Concurrent syncs per connection; a node syncs a handful of chains at a time. */
export const MAX_INBOUND_STREAMS = 32
export const MAX_OUTBOUND_STREAMS = 64

/**
 * Write ids per WRITES frame: each is ~200 bytes (a key of two peer ids and a
 * 32-hex id, an owner, a hash), so a frame stays well under a megabyte.
 */
export const MAX_WRITES_PER_FRAME = 4096

/** Write ids a WRITES answer carries at most, over all its frames: as many as a node remembers (node/recent-writes.ts WRITE_MEMORY.total). */
export const MAX_WRITES = 16_384

/** A peer gets one WRITES answer per this many ms (an honest member asks once per snapshot it installs). */
export const WRITES_INTERVAL = 1000
