import { protocolId } from '../constants.ts'

export const READ_PROTOCOL = protocolId('read', '1.0.0')
const KiB = 1024
const MiB = 1024 * KiB
/** A request is a chain id, a key (≤ 1 KiB) and two heights. */
export const MAX_REQUEST_BYTES = 4 * KiB
/** A response carries at least one whole block (≤ 4 MiB payload) or a value. */
export const MAX_RESPONSE_BYTES = 6 * MiB
/** A RANGE answer stops adding blocks past this size; the reader asks again from there. */
export const RANGE_RESPONSE_BYTES = 1 * MiB
/** Keys a KEYS answer carries at most (its request's `limit`). */
export const MAX_KEYS_PER_READ = 1000
/** Keys a page holds when its reader does not say. */
export const DEFAULT_KEYS_PER_READ = 100
/** A KEYS answer stops adding values past this size (one entry at least); the reader asks again after its last key. */
export const KEYS_RESPONSE_BYTES = 1 * MiB
export const MESSAGE_TIMEOUT = 5_000
/**
 * How long an inbound stream from a peer not identified yet may wait to become
 * a member: well within the reader's MESSAGE_TIMEOUT, so it still gets our refusal.
 */
export const MEMBERSHIP_WAIT = 3_000
/**
 * How long a read with redirect goes on asking holders: each takes up to
 * MESSAGE_TIMEOUT, and holders out of reach are no hops, so a table of many
 * departed backups would else hold a read for minutes.
 */
export const READ_TIMEOUT = 30_000
/** Answers followed before a read gives up (each hop is one holder that answered; one out of reach is no hop). */
export const MAX_HOPS = 8
/**
 * Table lookups a read may run, each among members not asked yet (8 at a time,
 * src/node/table-lookup.ts). One is usually enough to find a newer table;
 * a copy that only one vehicle still holds may be among the others.
 */
export const MAX_LOOKUP_ROUNDS = 4
export const MAX_INBOUND_STREAMS = 64
export const MAX_OUTBOUND_STREAMS = 64
