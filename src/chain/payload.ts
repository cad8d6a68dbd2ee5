/**
 * The payload of a block: its transaction list in the canonical encoding of
 * `Payload` (see pb/chain.proto), which is what payloadHash covers.
 *
 * We write and parse that encoding by hand rather than through protons: the
 * encoder fills one buffer without a copy per transaction, and the parser is
 * strict (only the canonical form protons itself writes is accepted) and
 * returns where each value lies, so the store can index values without
 * decoding or copying them. A unit test checks byte equality with protons.
 */
import { isUtf8 } from 'node:buffer'
import { InvalidBlockError, InvalidTransactionError } from './errors.ts'
import { MAX_KEY_BYTES, MAX_PAYLOAD_BYTES, MAX_TXS_PER_BLOCK } from './constants.ts'
import { varintLength, writeVarint } from './varint.ts'

export type TxOp = 'PUT' | 'DELETE'

export interface Transaction {
  op: TxOp
  key: string
  /** Empty for a delete. */
  value: Uint8Array
}

/** What createBlock accepts: op defaults to PUT, value to empty. */
export interface TransactionInput {
  op?: TxOp
  key: string
  value?: Uint8Array
}

/** One transaction located inside a payload. */
export interface PayloadEntry {
  op: TxOp
  readonly key: string
  /** Offset of the key's UTF-8 bytes in the payload. */
  keyOffset: number
  keyLength: number
  /** Offset of the value's bytes in the payload (valueLength 0 for deletes and empty values). */
  valueOffset: number
  valueLength: number
}

// field tags: (field number << 3) | wire type 2 (length-delimited) or 0 (varint)
const TAG_TX = 0x0a
const TAG_OP = 0x08
const TAG_KEY = 0x12
const TAG_VALUE = 0x1a
const OP_DELETE = 1

const EMPTY = new Uint8Array(0)
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/**
 * A parsed transaction. Its key is decoded only when asked for: the LevelDB
 * store indexes keys by their bytes, and a 64 MiB sync decoded 65k key
 * strings nobody read.
 */
class ParsedEntry implements PayloadEntry {
  constructor (
    private readonly payload: Uint8Array,
    readonly op: TxOp,
    readonly keyOffset: number,
    readonly keyLength: number,
    readonly valueOffset: number,
    readonly valueLength: number
  ) {}

  get key (): string {
    return utf8.decode(this.payload.subarray(this.keyOffset, this.keyOffset + this.keyLength))
  }
}

/** Whether the bytes are well-formed UTF-8 (ASCII checked in place, the rest natively). */
function validUtf8 (buf: Uint8Array, from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) {
    if (buf[i] >= 0x80) return isUtf8(buf.subarray(from, from + length))
  }
  return true
}

function bad (message: string): InvalidBlockError {
  return new InvalidBlockError('BadPayload', `Invalid block: BadPayload: ${message}`)
}

/** Reads a minimal varint below 2^32 that ends before `end`; returns [value, next position]. */
function readVarint (buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0
  let factor = 1
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw bad('truncated varint')
    const byte = buf[pos++]
    value += (byte & 0x7f) * factor
    if ((byte & 0x80) === 0) {
      // a trailing zero byte means a longer-than-needed (non-canonical) encoding
      if (byte === 0 && i > 0) throw bad('non-minimal varint')
      return [value, pos]
    }
    factor *= 128
  }
  throw bad('varint too long')
}

/**
 * Why no write could store `key`, or undefined: a key is a non-empty,
 * well-formed unicode string of at most MAX_KEY_BYTES in UTF-8. Reads check
 * it too, so a key no write takes is refused, not looked up.
 */
export function keyProblem (key: unknown): string | undefined {
  if (typeof key !== 'string' || key === '') return 'key must be a non-empty string'
  if (!key.isWellFormed()) return 'key is not well-formed unicode'
  if (utf8Encoder.encode(key).byteLength > MAX_KEY_BYTES) return `key longer than ${MAX_KEY_BYTES} bytes`
  return undefined
}

/** Whether the buffer under these bytes was transferred away (its views read as 0 bytes; a SharedArrayBuffer never is). */
export function isDetached (bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.buffer.detached
}

const TRANSACTION_FIELDS: ReadonlySet<string> = new Set<keyof TransactionInput>(['op', 'key', 'value'])

/** Checks one transaction given to createBlock and returns its key as UTF-8. */
function checkInput (tx: TransactionInput, index: number): { op: TxOp, keyBytes: Uint8Array, value: Uint8Array } {
  if (tx == null || typeof tx !== 'object') throw new InvalidTransactionError(`transaction ${index}: must be an object { key, value?, op? }, got ${String(tx)}`)
  // a field of another shape would be dropped: an end of booth's { key, delete: true } or a misspelt
  // value was put as an empty value, a misspelt op put instead of deleting (a probe, 2026-12-03)
  const unknown = Object.keys(tx).find(field => !TRANSACTION_FIELDS.has(field))
  if (unknown != null) throw new InvalidTransactionError(`transaction ${index}: unknown field ${JSON.stringify(unknown)} (a transaction is { key, value?, op? }: a delete is { op: 'DELETE', key })`)
  const op = tx.op ?? 'PUT'
  if (op !== 'PUT' && op !== 'DELETE') throw new InvalidTransactionError(`transaction ${index}: op must be PUT or DELETE`)
  const problem = keyProblem(tx.key)
  if (problem != null) throw new InvalidTransactionError(`transaction ${index}: ${problem}`)
  const keyBytes = utf8Encoder.encode(tx.key)
  // left out, a value is empty; null is a mistake (put(key, null) must not store an empty value)
  const value = tx.value === undefined ? EMPTY : tx.value
  if (!(value instanceof Uint8Array)) throw new InvalidTransactionError(`transaction ${index}: value must be bytes (a Uint8Array), got ${value === null ? 'null' : typeof value}`)
  // a view of a transferred buffer (postMessage, transfer()) reads as 0 bytes: stored as an empty value (a probe, 2026-12-03)
  if (isDetached(value)) throw new InvalidTransactionError(`transaction ${index}: value's buffer was detached (transferred away): its bytes are gone`)
  if (op === 'DELETE' && value.byteLength > 0) throw new InvalidTransactionError(`transaction ${index}: a delete carries no value`)
  return { op, keyBytes, value }
}

/**
 * Encodes transactions as a canonical payload.
 *
 * @throws InvalidTransactionError for a bad transaction or an oversized block
 */
export function encodePayload (transactions: TransactionInput[]): { payload: Uint8Array, entries: PayloadEntry[] } {
  if (transactions.length > MAX_TXS_PER_BLOCK) throw new InvalidTransactionError(`more than ${MAX_TXS_PER_BLOCK} transactions in one block`)
  // a for loop, not map: map skips the holes of a sparse array, which would be written as nothing
  const checked: Array<ReturnType<typeof checkInput>> = []
  for (let i = 0; i < transactions.length; i++) checked.push(checkInput(transactions[i], i))
  const txLengths = checked.map(({ op, keyBytes, value }) =>
    (op === 'DELETE' ? 2 : 0) +
    1 + varintLength(keyBytes.byteLength) + keyBytes.byteLength +
    (value.byteLength > 0 ? 1 + varintLength(value.byteLength) + value.byteLength : 0))
  let total = 0
  for (const len of txLengths) total += 1 + varintLength(len) + len
  if (total > MAX_PAYLOAD_BYTES) throw new InvalidTransactionError(`payload of ${total} bytes exceeds ${MAX_PAYLOAD_BYTES}`)

  const payload = new Uint8Array(total)
  const entries: PayloadEntry[] = []
  let pos = 0
  checked.forEach(({ op, keyBytes, value }, i) => {
    payload[pos++] = TAG_TX
    pos = writeVarint(payload, pos, txLengths[i])
    if (op === 'DELETE') {
      payload[pos++] = TAG_OP
      payload[pos++] = OP_DELETE
    }
    payload[pos++] = TAG_KEY
    pos = writeVarint(payload, pos, keyBytes.byteLength)
    const keyOffset = pos
    payload.set(keyBytes, pos)
    pos += keyBytes.byteLength
    let valueOffset = pos
    if (value.byteLength > 0) {
      payload[pos++] = TAG_VALUE
      pos = writeVarint(payload, pos, value.byteLength)
      valueOffset = pos
      payload.set(value, pos)
      pos += value.byteLength
    }
    entries.push({ op, key: transactions[i].key, keyOffset, keyLength: keyBytes.byteLength, valueOffset, valueLength: value.byteLength })
  })
  return { payload, entries }
}

/**
 * Parses a payload, accepting only the canonical encoding.
 *
 * @throws InvalidBlockError with reason BadPayload
 */
export function parsePayload (payload: Uint8Array): PayloadEntry[] {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) throw bad(`larger than ${MAX_PAYLOAD_BYTES} bytes`)
  const entries: PayloadEntry[] = []
  let pos = 0
  const end = payload.byteLength
  while (pos < end) {
    if (entries.length >= MAX_TXS_PER_BLOCK) throw bad(`more than ${MAX_TXS_PER_BLOCK} transactions`)
    if (payload[pos++] !== TAG_TX) throw bad('expected a transaction')
    let txLength
    [txLength, pos] = readVarint(payload, pos, end)
    const txEnd = pos + txLength
    if (txEnd > end) throw bad('truncated transaction')

    let op: TxOp = 'PUT'
    if (pos < txEnd && payload[pos] === TAG_OP) {
      let opValue
      [opValue, pos] = readVarint(payload, pos + 1, txEnd)
      // PUT (0) is the default and is never written; anything else is unknown
      if (opValue !== OP_DELETE) throw bad('unknown or non-canonical op')
      op = 'DELETE'
    }
    if (pos >= txEnd || payload[pos] !== TAG_KEY) throw bad('transaction without a key')
    let keyLength
    [keyLength, pos] = readVarint(payload, pos + 1, txEnd)
    if (keyLength === 0 || keyLength > MAX_KEY_BYTES) throw bad('empty or oversized key')
    if (pos + keyLength > txEnd) throw bad('truncated key')
    const keyOffset = pos
    if (!validUtf8(payload, pos, keyLength)) throw bad('key is not UTF-8')
    pos += keyLength

    let valueOffset = pos
    let valueLength = 0
    if (pos < txEnd) {
      if (payload[pos] !== TAG_VALUE) throw bad('unexpected field in transaction')
      ;[valueLength, pos] = readVarint(payload, pos + 1, txEnd)
      if (valueLength === 0) throw bad('empty value written explicitly')
      valueOffset = pos
      pos += valueLength
      if (pos !== txEnd) throw bad('transaction length mismatch')
      if (op === 'DELETE') throw bad('a delete carries a value')
    }
    entries.push(new ParsedEntry(payload, op, keyOffset, keyLength, valueOffset, valueLength))
  }
  return entries
}

/** Decodes a payload into transactions; values are views into the payload, not copies. */
export function decodeTransactions (payload: Uint8Array): Transaction[] {
  // from JavaScript: a string would parse as no bytes at all, and read as no transactions
  if (!(payload instanceof Uint8Array)) throw bad(`a payload is bytes (a Uint8Array), got ${payload === null ? 'null' : typeof payload}`)
  return parsePayload(payload).map(({ op, key, valueOffset, valueLength }) => ({
    op,
    key,
    value: valueLength === 0 ? EMPTY : payload.subarray(valueOffset, valueOffset + valueLength)
  }))
}
