/**
 * Limits of the chain data model. They bound what one block can make a node
 * allocate, and every protocol that carries blocks sizes its frames from them.
 */

/** sha-256 */
export const HASH_BYTES = 32

/** The hash an empty chain's tip has (and block 1 points back to). */
export const ZERO_HASH: Uint8Array = new Uint8Array(HASH_BYTES)

/** A chain id is a peer id (≈ 52 chars) or a short name like 'shared'. */
export const MAX_CHAIN_ID_BYTES = 128

/** Keys are names, not data: 1 KiB is plenty and keeps the state index small. */
export const MAX_KEY_BYTES = 1024

/** One block's payload (the encoded transaction list). A 4 MiB value plus its key fits. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024 + 16 * 1024

/** Transactions per block: bounds the work of applying one block to the state. */
export const MAX_TXS_PER_BLOCK = 65_536

/** Booth members per block (the node's boothSize is at most 64). */
export const MAX_BOOTH_SIZE = 64

/** Encoded header bytes: 64 booth members of ≈ 53 chars and the fixed fields fit easily. */
export const MAX_HEADER_BYTES = 16 * 1024

/** Peer ids in headers (proposer, booth, ballot) are at most this long. */
export const MAX_PEER_ID_BYTES = 128
