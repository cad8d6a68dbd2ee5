/**
 * The LevelDB key layout of the chain store. Every key starts with the
 * sublevel prefix (`!chains!`), then one type byte:
 *
 *   m <chainId>                      → ChainMeta (pb/store.proto)
 *   b <cid> <height u64 BE>          → block record (records.ts)
 *   x <cid> <hash 32 B>              → height u64 BE
 *   s <cid> <key UTF-8>              → pointer: height u64 BE, value offset u32 BE, value length u32 BE
 *   p <cid> k <key UTF-8>            → (empty) key pin
 *   p <cid> r <from u64> <to u64>    → (empty) range pin
 *   g <cid> <segment u64 BE>         → fileId (varint): a payload segment of the chain
 *
 * <cid> is the chain id's UTF-8 bytes preceded by their length (one byte), so
 * no chain's key range contains another's. Big-endian heights sort
 * numerically, so range reads are plain iterator ranges.
 */
import { MAX_CHAIN_ID_BYTES } from '../chain/index.ts'

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder()

export const TYPE_META = 0x6d // m
export const TYPE_BLOCK = 0x62 // b
export const TYPE_HASH = 0x78 // x
export const TYPE_STATE = 0x73 // s
export const TYPE_PIN = 0x70 // p
export const TYPE_SEGMENT = 0x67 // g
const PIN_KEY = 0x6b // k
const PIN_RANGE = 0x72 // r

export function concat (parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.byteLength
  const out = new Uint8Array(length)
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.byteLength
  }
  return out
}

export function writeU64 (buf: Uint8Array, pos: number, n: number): void {
  // byte by byte: a DataView per call showed up in append profiles (one per state pointer)
  const hi = Math.floor(n / 0x1_0000_0000)
  const lo = n >>> 0
  buf[pos] = hi >>> 24
  buf[pos + 1] = hi >>> 16
  buf[pos + 2] = hi >>> 8
  buf[pos + 3] = hi
  buf[pos + 4] = lo >>> 24
  buf[pos + 5] = lo >>> 16
  buf[pos + 6] = lo >>> 8
  buf[pos + 7] = lo
}

export function writeU32 (buf: Uint8Array, pos: number, n: number): void {
  buf[pos] = n >>> 24
  buf[pos + 1] = n >>> 16
  buf[pos + 2] = n >>> 8
  buf[pos + 3] = n
}

export function readU32 (buf: Uint8Array, pos: number): number {
  return ((buf[pos] << 24) >>> 0) + (buf[pos + 1] << 16) + (buf[pos + 2] << 8) + buf[pos + 3]
}

export function readU64 (buf: Uint8Array, pos: number): number {
  return readU32(buf, pos) * 0x1_0000_0000 + readU32(buf, pos + 4)
}

/** The smallest key greater than every key that starts with `prefix`. */
export function prefixEnd (prefix: Uint8Array): Uint8Array {
  const end = prefix.slice()
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  throw new RangeError('prefix has no end')
}

export class ChainKeys {
  readonly prefix: Uint8Array
  private readonly cids = new Map<string, Uint8Array>()
  /** prefix + type + cid per chain and type: built once, every key of an append starts with one */
  private readonly prefixes = new Map<string, Uint8Array>()

  constructor (prefix: string) {
    this.prefix = utf8.encode(prefix)
  }

  private cid (chainId: string): Uint8Array {
    let cid = this.cids.get(chainId)
    if (cid == null) {
      const bytes = utf8.encode(chainId)
      if (bytes.byteLength > MAX_CHAIN_ID_BYTES) throw new RangeError('chain id too long')
      cid = concat([Uint8Array.of(bytes.byteLength), bytes])
      if (this.cids.size > 4096) this.cids.clear()
      this.cids.set(chainId, cid)
    }
    return cid
  }

  /** prefix + type + cid: the start of one chain's entries of one type. */
  chainPrefix (type: number, chainId: string): Uint8Array {
    const id = `${type}:${chainId}`
    let prefix = this.prefixes.get(id)
    if (prefix == null) {
      prefix = concat([this.prefix, Uint8Array.of(type), this.cid(chainId)])
      // chains come and go (release deletes copies); keep the cache bounded
      if (this.prefixes.size > 4096) this.prefixes.clear()
      this.prefixes.set(id, prefix)
    }
    return prefix
  }

  meta (chainId: string): Uint8Array {
    return concat([this.prefix, Uint8Array.of(TYPE_META), utf8.encode(chainId)])
  }

  metaRange (): { gte: Uint8Array, lt: Uint8Array } {
    const start = concat([this.prefix, Uint8Array.of(TYPE_META)])
    return { gte: start, lt: prefixEnd(start) }
  }

  /** prefix + type + cid + a height (u64 BE): keys that sort by height. */
  private heightKey (type: number, chainId: string, height: number): Uint8Array {
    const p = this.chainPrefix(type, chainId)
    const key = new Uint8Array(p.byteLength + 8)
    key.set(p)
    writeU64(key, p.byteLength, height)
    return key
  }

  block (chainId: string, height: number): Uint8Array {
    return this.heightKey(TYPE_BLOCK, chainId, height)
  }

  /** A payload segment of the chain (its first height). */
  segment (chainId: string, firstHeight: number): Uint8Array {
    return this.heightKey(TYPE_SEGMENT, chainId, firstHeight)
  }

  /** The segment a key of segment() names. */
  segmentOf (chainId: string, key: Uint8Array): number {
    return readU64(key, this.chainPrefix(TYPE_SEGMENT, chainId).byteLength)
  }

  /** Every segment key of one chain. */
  segmentsRange (chainId: string): { gte: Uint8Array, lt: Uint8Array } {
    const start = this.chainPrefix(TYPE_SEGMENT, chainId)
    return { gte: start, lt: prefixEnd(start) }
  }

  hash (chainId: string, hash: Uint8Array): Uint8Array {
    return concat([this.chainPrefix(TYPE_HASH, chainId), hash])
  }

  /** A state key from the key's UTF-8 bytes (sliced from a payload, no re-encoding). */
  stateBytes (chainId: string, keyBytes: Uint8Array): Uint8Array {
    return concat([this.chainPrefix(TYPE_STATE, chainId), keyBytes])
  }

  state (chainId: string, key: string): Uint8Array {
    return this.stateBytes(chainId, utf8.encode(key))
  }

  /** The key's text from a state key of this chain. */
  stateKeyOf (chainId: string, key: Uint8Array): string {
    return utf8Decoder.decode(key.subarray(this.chainPrefix(TYPE_STATE, chainId).byteLength))
  }

  pinKey (chainId: string, key: string): Uint8Array {
    return concat([this.chainPrefix(TYPE_PIN, chainId), Uint8Array.of(PIN_KEY), utf8.encode(key)])
  }

  pinRange (chainId: string, from: number, to: number): Uint8Array {
    const p = this.chainPrefix(TYPE_PIN, chainId)
    const key = new Uint8Array(p.byteLength + 17)
    key.set(p)
    key[p.byteLength] = PIN_RANGE
    writeU64(key, p.byteLength + 1, from)
    writeU64(key, p.byteLength + 9, to)
    return key
  }

  /** All pins of all chains. */
  pinsRange (): { gte: Uint8Array, lt: Uint8Array } {
    const start = concat([this.prefix, Uint8Array.of(TYPE_PIN)])
    return { gte: start, lt: prefixEnd(start) }
  }

  /** Parses a pin key back into its chain id and pin. */
  parsePin (key: Uint8Array): { chainId: string, pin: { type: 'key', key: string } | { type: 'range', from: number, to: number } } | undefined {
    let pos = this.prefix.byteLength + 1
    const len = key[pos++]
    const chainId = utf8Decoder.decode(key.subarray(pos, pos + len))
    pos += len
    const kind = key[pos++]
    if (kind === PIN_KEY) return { chainId, pin: { type: 'key', key: utf8Decoder.decode(key.subarray(pos)) } }
    if (kind === PIN_RANGE && key.byteLength === pos + 16) return { chainId, pin: { type: 'range', from: readU64(key, pos), to: readU64(key, pos + 8) } }
    return undefined
  }

  /** Every range that holds entries of this chain (what deleteChain clears), its pins' too unless kept. */
  chainRanges (chainId: string, options: { keepPins?: boolean } = {}): Array<{ gte: Uint8Array, lt: Uint8Array }> {
    const types = [TYPE_BLOCK, TYPE_HASH, TYPE_STATE, TYPE_SEGMENT]
    if (options.keepPins !== true) types.push(TYPE_PIN)
    return types.map(type => {
      const start = this.chainPrefix(type, chainId)
      return { gte: start, lt: prefixEnd(start) }
    })
  }
}
