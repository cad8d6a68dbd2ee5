/**
 * Binary values of the LevelDB chain store.
 *
 * Block record: flags (1 byte: bit 0 = payload present), the block hash
 * (32 bytes, so reads need not re-hash), the header length (u32 BE), the
 * header bytes, then the payload bytes. Header and payload share one entry:
 * an append then writes one large value per block instead of one per
 * transaction, which measured 2-4x faster for 1,000-transaction blocks; a
 * key's value is read by slicing the payload at its pointer.
 */
import { BlockHeader } from '../chain/pb/chain.ts'
import { HASH_BYTES } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { readU64, writeU64 } from './keys.ts'
import type { Pointer } from './base.ts'

const FLAG_PAYLOAD = 1
const FIXED = 1 + HASH_BYTES + 4

export function encodeRecord (block: Block): Uint8Array {
  const payload = block.payload
  const out = new Uint8Array(FIXED + block.headerBytes.byteLength + (payload?.byteLength ?? 0))
  out[0] = payload != null ? FLAG_PAYLOAD : 0
  out.set(block.hash, 1)
  new DataView(out.buffer).setUint32(1 + HASH_BYTES, block.headerBytes.byteLength)
  out.set(block.headerBytes, FIXED)
  if (payload != null) out.set(payload, FIXED + block.headerBytes.byteLength)
  return out
}

/** Decodes a stored record; it was verified on append, so it is trusted here. */
export function decodeRecord (bytes: Uint8Array): Block {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1 + HASH_BYTES)
  const headerBytes = bytes.subarray(FIXED, FIXED + headerLength)
  const hash = bytes.subarray(1, 1 + HASH_BYTES)
  const header = BlockHeader.decode(headerBytes)
  if ((bytes[0] & FLAG_PAYLOAD) === 0) return { header, headerBytes, hash }
  return { header, headerBytes, hash, payload: bytes.subarray(FIXED + headerLength) }
}

export function encodePointer (p: Pointer): Uint8Array {
  const out = new Uint8Array(16)
  writeU64(out, 0, p.height)
  const view = new DataView(out.buffer)
  view.setUint32(8, p.valueOffset)
  view.setUint32(12, p.valueLength)
  return out
}

export function decodePointer (bytes: Uint8Array): Pointer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { height: readU64(bytes, 0), valueOffset: view.getUint32(8), valueLength: view.getUint32(12) }
}

export function encodeHeight (height: number): Uint8Array {
  const out = new Uint8Array(8)
  writeU64(out, 0, height)
  return out
}

export function decodeHeight (bytes: Uint8Array): number {
  return readU64(bytes, 0)
}
