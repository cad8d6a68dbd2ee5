import { protocolId } from '../constants.ts'
import { MAX_PAYLOAD_BYTES } from '../../chain/index.ts'

export const WRITE_PROTOCOL = protocolId('write', '1.0.0')
/** One block's payload plus the request's few other fields. */
export const MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES + 1024
export const MAX_RESPONSE_BYTES = 8 * 1024
/** Reading the request once the stream is open. */
export const REQUEST_TIMEOUT = 10_000
/** The longest a forwarded write may wait for its commit (the writer's own timeout is capped to it). */
export const MAX_WRITE_TIMEOUT = 120_000
/** Extra time the writer waits for the answer beyond its write timeout (the proposer answers at its deadline). */
export const ANSWER_SLACK = 2_000
/** Concurrent forwarded writes per connection: writers of a busy shared chain all go to one leader. */
export const MAX_INBOUND_STREAMS = 256
export const MAX_OUTBOUND_STREAMS = 256
/** A client's idempotency key (WriteRequest.idempotencyKey): printable ASCII, at most this long. */
export const MAX_IDEMPOTENCY_KEY_BYTES = 128
/** A writer's id for one write (WriteRequest.writeId): 16 random bytes are plenty. */
export const MAX_WRITE_ID_BYTES = 32
/** Backups an answer may name (WriteResponse.backups): k is at most 64. */
export const MAX_REPORTED_BACKUPS = 64
/** A partial replication round's problem, as an OK answer's `message` carries it (the answer's limit is 8 KiB). */
export const MAX_PROBLEM_LENGTH = 2_048

/** An error's name as an ERROR answer carries it: names are short; a longer one is not ours. */
export const MAX_ERROR_NAME_LENGTH = 64
/**
 * Bytes of forwarded write requests partly received at once, over every
 * inbound stream (InboundBudget): sixteen whole 4 MiB requests. Writes are
 * small (a GPS fix is ~100 bytes); without it a member holding 256 streams per
 * connection with requests all but their last byte sent took a node past 1 GiB.
 */
export const INBOUND_BUDGET = 64 * 1024 * 1024
/**
 * How long a forwarded write from a peer not judged yet waits for identify's
 * verdict on it (as read and release do): a writer that dialled us for the
 * write opens its stream before our identify of it ends.
 */
export const MEMBERSHIP_WAIT = 3_000
