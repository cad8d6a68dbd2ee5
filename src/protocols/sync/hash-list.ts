/**
 * Block hashes in one growing buffer, 32 bytes each: what a vouched fetch
 * keeps of every header up to the signed tip. Kept one Uint8Array each (a
 * view on its own Buffer), a hash cost some 300–470 bytes, and a fetch of a
 * chain of a million blocks held that much before it stored one (a review).
 */
import { HASH_BYTES } from '../../chain/index.ts'

export class HashList {
  private bytes = new Uint8Array(HASH_BYTES * 1024)
  private count = 0

  get length (): number {
    return this.count
  }

  push (hash: Uint8Array): void {
    if (hash.byteLength !== HASH_BYTES) throw new RangeError(`a hash is ${HASH_BYTES} bytes, got ${hash.byteLength}`)
    if ((this.count + 1) * HASH_BYTES > this.bytes.byteLength) {
      const grown = new Uint8Array(this.bytes.byteLength * 2)
      grown.set(this.bytes)
      this.bytes = grown
    }
    this.bytes.set(hash, this.count * HASH_BYTES)
    this.count++
  }

  /** The hash at `index`, or undefined past the end. */
  at (index: number): Uint8Array | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined
    return this.bytes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES)
  }
}
