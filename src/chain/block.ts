/**
 * Blocks: creation, hashing, verification and the record encoding that
 * carries them between nodes.
 *
 * A block's hash is sha-256 over its header's canonical encoding. The header
 * commits to the payload through payloadHash (sha-256 of the canonical
 * payload), so a pruned block (header only) still links the chain.
 * Verification always works from bytes: the header object must be exactly what
 * the hashed bytes decode to, so neither a forged header object nor a
 * non-canonical encoding can pass.
 */
import { BlockHeader, BlockRecord } from './pb/chain.ts'
import type { Ballot } from './pb/chain.ts'
import { bytesEqual, sha256 } from './hash.ts'
import { InvalidBlockError, PayloadPrunedError } from './errors.ts'
import { decodeTransactions, encodePayload, parsePayload } from './payload.ts'
import type { PayloadEntry, Transaction, TransactionInput } from './payload.ts'
import {
  HASH_BYTES, MAX_BOOTH_SIZE, MAX_CHAIN_ID_BYTES, MAX_HEADER_BYTES, MAX_PAYLOAD_BYTES, MAX_PEER_ID_BYTES, MAX_TXS_PER_BLOCK, ZERO_HASH
} from './constants.ts'

export type { BlockHeader, Ballot } from './pb/chain.ts'

export interface Block {
  readonly header: BlockHeader
  /** The canonical encoding of header: what the hash covers. */
  readonly headerBytes: Uint8Array
  /** sha-256 of headerBytes. */
  readonly hash: Uint8Array
  /** The canonical payload (see payload.ts); undefined once pruned. */
  readonly payload?: Uint8Array
}

/** The last block of a chain as far as one node knows. Height 0 and ZERO_HASH for an empty chain. */
export interface ChainTip {
  chainId: string
  height: number
  hash: Uint8Array
}

export function emptyTip (chainId: string): ChainTip {
  return { chainId, height: 0, hash: ZERO_HASH }
}

export function tipOf (block: Block): ChainTip {
  return { chainId: block.header.chainId, height: block.header.height, hash: block.hash }
}

export interface CreateBlockInit {
  /** The tip the block extends (its chainId is the block's chain). */
  prev: ChainTip
  /** If given, must equal prev.chainId (a guard against mixing chains up). */
  chainId?: string
  /** Peer id of the proposer. */
  proposer: string
  /** Peer ids of the booth that agreed on the block. @default [] */
  booth?: string[]
  /** The Paxos ballot it was decided under. @default undefined (none) */
  ballot?: Ballot
  /** ms since the epoch; passed in so callers (and tests) own the clock. */
  timestamp: number
  transactions: TransactionInput[]
}

function byteLength (s: string): number {
  // counts UTF-8 bytes without encoding (verification runs on every append)
  return Buffer.byteLength(s, 'utf8')
}

/** Header rules that hold for any block, whatever its tip. */
function checkHeader (header: BlockHeader): void {
  const fail = (why: string): never => { throw new InvalidBlockError('BadHeader', `Invalid block: BadHeader: ${why}`) }
  if (header.chainId === '' || byteLength(header.chainId) > MAX_CHAIN_ID_BYTES) fail('chainId empty or too long')
  if (!Number.isSafeInteger(header.height) || header.height < 1) fail('height must be a positive integer')
  if (header.prevHash.byteLength !== HASH_BYTES) fail('prevHash is not 32 bytes')
  if (header.payloadHash.byteLength !== HASH_BYTES) fail('payloadHash is not 32 bytes')
  if (header.proposer === '' || byteLength(header.proposer) > MAX_PEER_ID_BYTES) fail('proposer empty or too long')
  if (header.booth.length > MAX_BOOTH_SIZE) fail(`more than ${MAX_BOOTH_SIZE} booth members`)
  if (header.booth.some(m => m === '' || byteLength(m) > MAX_PEER_ID_BYTES)) fail('booth member empty or too long')
  if (header.ballot != null && byteLength(header.ballot.proposer) > MAX_PEER_ID_BYTES) fail('ballot proposer too long')
  if (!Number.isSafeInteger(header.timestamp) || header.timestamp < 0) fail('bad timestamp')
  if (header.txCount > MAX_TXS_PER_BLOCK) fail('too many transactions')
  if (!Number.isSafeInteger(header.payloadBytes) || header.payloadBytes > MAX_PAYLOAD_BYTES) fail('payload too large')
}

/**
 * Builds the block that extends `prev` with these transactions.
 *
 * @throws InvalidTransactionError for a bad transaction or an oversized payload
 * @throws InvalidBlockError (BadHeader, WrongChain) for bad header fields
 */
export function createBlock (init: CreateBlockInit): Block {
  if (init.chainId != null && init.chainId !== init.prev.chainId) {
    throw new InvalidBlockError('WrongChain', `Invalid block: WrongChain: ${init.chainId} does not extend a tip of ${init.prev.chainId}`)
  }
  const { payload, entries } = encodePayload(init.transactions)
  return sealBlock(init, payload, entries.length)
}

export interface CreateBlockFromPayloadInit extends Omit<CreateBlockInit, 'transactions'> {
  /** Transactions already in canonical payload form (checked: anything else throws). */
  payload: Uint8Array
}

/**
 * The block createBlock would build from these transactions, built from their
 * canonical payload as it is: a consensus leader holds the payload of a
 * decided batch and would otherwise decode and re-encode it (~9 ms per 1 MiB
 * block). The payload is parsed (only the canonical encoding passes, so the
 * block and its hash are exactly createBlock's).
 *
 * @throws InvalidBlockError BadPayload for a payload that is not canonical, BadHeader, WrongChain
 */
export function createBlockFromPayload (init: CreateBlockFromPayloadInit): Block {
  if (init.chainId != null && init.chainId !== init.prev.chainId) {
    throw new InvalidBlockError('WrongChain', `Invalid block: WrongChain: ${init.chainId} does not extend a tip of ${init.prev.chainId}`)
  }
  const { payload } = init
  const entries = parsePayload(payload)
  return sealBlock(init, payload, entries.length)
}

/** The header over a checked payload, hashed, in canonical form. */
function sealBlock (init: Omit<CreateBlockInit, 'transactions'>, payload: Uint8Array, txCount: number): Block {
  const header: BlockHeader = {
    chainId: init.prev.chainId,
    height: init.prev.height + 1,
    // protons types bytes as Uint8Array<ArrayBuffer>; ours are never shared buffers
    prevHash: init.prev.hash as Uint8Array<ArrayBuffer>,
    payloadHash: sha256(payload) as Uint8Array<ArrayBuffer>,
    proposer: init.proposer,
    booth: init.booth ?? [],
    ballot: init.ballot,
    timestamp: init.timestamp,
    txCount,
    payloadBytes: payload.byteLength
  }
  checkHeader(header)
  // decode what we encoded, so the block is byte-for-byte what a peer would rebuild
  const headerBytes = BlockHeader.encode(header)
  return { header: BlockHeader.decode(headerBytes), headerBytes, hash: sha256(headerBytes), payload }
}

/**
 * Rebuilds a block from its header bytes and payload (as stored or received):
 * decodes the header and computes the hash. It does not check the payload;
 * verifyBlock does.
 *
 * @throws InvalidBlockError BadHeader if the header bytes do not decode
 */
export function blockFromBytes (headerBytes: Uint8Array, payload?: Uint8Array): Block {
  if (headerBytes.byteLength > MAX_HEADER_BYTES) throw new InvalidBlockError('BadHeader', 'Invalid block: BadHeader: header too large')
  let header: BlockHeader
  try {
    header = BlockHeader.decode(headerBytes, { limits: { booth: MAX_BOOTH_SIZE } })
  } catch (err) {
    throw new InvalidBlockError('BadHeader', `Invalid block: BadHeader: ${(err as Error).message}`)
  }
  return { header, headerBytes, hash: sha256(headerBytes), payload }
}

/** The BlockRecord encoding: header bytes and payload (absent if pruned). */
export function encodeBlock (block: Block): Uint8Array {
  return BlockRecord.encode({ header: block.headerBytes as Uint8Array<ArrayBuffer>, payload: block.payload as Uint8Array<ArrayBuffer> | undefined })
}

/** @throws InvalidBlockError BadHeader if the bytes are not a BlockRecord with a decodable header */
export function decodeBlock (bytes: Uint8Array): Block {
  let record: BlockRecord
  try {
    record = BlockRecord.decode(bytes)
  } catch (err) {
    throw new InvalidBlockError('BadHeader', `Invalid block: BadHeader: ${(err as Error).message}`)
  }
  return blockFromBytes(record.header, record.payload)
}

export interface VerifyOptions {
  /** Accept a block whose payload was pruned (header chain only). @default false */
  allowPruned?: boolean
}

/**
 * Checks that a block is well formed, hashes right and extends `prev`, and
 * returns its parsed payload (undefined if pruned and allowed).
 *
 * @throws InvalidBlockError with the reason
 */
export function verifyBlock (block: Block, prev: ChainTip, options: VerifyOptions = {}): PayloadEntry[] | undefined {
  verifyHeader(block)
  verifyLink(block, prev)
  return verifyPayload(block, options)
}

/** The checks that need no tip: hash, canonical header bytes, header rules. */
export function verifyHeader (block: Block): void {
  if (!bytesEqual(sha256(block.headerBytes), block.hash)) throw new InvalidBlockError('BadHash', 'Invalid block: BadHash: hash is not sha-256 of the header')
  // the header object must be exactly what the hashed bytes say, in canonical form
  let canonical: Uint8Array
  try {
    canonical = BlockHeader.encode(block.header)
  } catch {
    throw new InvalidBlockError('BadHeader', 'Invalid block: BadHeader: header does not encode')
  }
  if (!bytesEqual(canonical, block.headerBytes)) {
    throw new InvalidBlockError('NonCanonicalHeader', 'Invalid block: NonCanonicalHeader: header bytes are not the canonical encoding of the header')
  }
  if (block.headerBytes.byteLength > MAX_HEADER_BYTES) throw new InvalidBlockError('BadHeader', 'Invalid block: BadHeader: header too large')
  checkHeader(block.header)
}

/** Does the block extend `prev`: same chain, next height, prevHash is the tip's hash. */
export function verifyLink (block: Block, prev: ChainTip): void {
  const { header } = block
  if (header.chainId !== prev.chainId) {
    throw new InvalidBlockError('WrongChain', `Invalid block: WrongChain: block of ${header.chainId}, tip of ${prev.chainId}`)
  }
  if (header.height !== prev.height + 1) {
    throw new InvalidBlockError('WrongHeight', `Invalid block: WrongHeight: height ${header.height} does not follow tip ${prev.height}`)
  }
  if (!bytesEqual(header.prevHash, prev.hash)) {
    throw new InvalidBlockError('WrongPrevHash', `Invalid block: WrongPrevHash: block ${header.height} does not point to the tip's hash`, header.height)
  }
}

/** Checks the payload against the header (or its absence against allowPruned). */
export function verifyPayload (block: Block, options: VerifyOptions = {}): PayloadEntry[] | undefined {
  const { header, payload } = block
  if (payload == null) {
    if (options.allowPruned === true) return undefined
    throw new InvalidBlockError('MissingPayload', `Invalid block: MissingPayload: block ${header.height} has no payload`)
  }
  if (payload.byteLength !== header.payloadBytes) {
    throw new InvalidBlockError('BadPayload', `Invalid block: BadPayload: ${payload.byteLength} bytes, header says ${header.payloadBytes}`)
  }
  if (!bytesEqual(sha256(payload), header.payloadHash)) {
    throw new InvalidBlockError('BadPayloadHash', `Invalid block: BadPayloadHash: payload of block ${header.height} does not match its hash`)
  }
  const entries = parsePayload(payload)
  if (entries.length !== header.txCount) {
    throw new InvalidBlockError('BadPayload', `Invalid block: BadPayload: ${entries.length} transactions, header says ${header.txCount}`)
  }
  return entries
}

/**
 * The block's transactions.
 *
 * @throws PayloadPrunedError if the payload was pruned
 */
export function transactionsOf (block: Block): Transaction[] {
  if (block.payload == null) throw new PayloadPrunedError(`payload of block ${block.header.height} of ${block.header.chainId} was pruned`)
  return decodeTransactions(block.payload)
}

/** The same block without its payload (what pruning leaves). */
export function withoutPayload (block: Block): Block {
  return { header: block.header, headerBytes: block.headerBytes, hash: block.hash }
}
