/**
 * @packageDocumentation
 *
 * The chain data model: blocks of put/delete transactions, hash-chained, with
 * canonical protobuf encodings. No network, no disk: the store and the
 * protocols build on this.
 *
 * @example
 *
 * ```ts
 * import { createBlock, emptyTip, verifyBlock, tipOf } from './chain/index.ts'
 *
 * const b1 = createBlock({ prev: emptyTip('vehicle-1'), proposer: 'vehicle-1', timestamp: Date.now(),
 *   transactions: [{ key: 'gps/1', value: new TextEncoder().encode('49.01,8.40') }] })
 * verifyBlock(b1, emptyTip('vehicle-1')) // throws InvalidBlockError if not
 * const tip = tipOf(b1)
 * ```
 */
export * from './block.ts'
export * from './payload.ts'
export * from './errors.ts'
export * from './constants.ts'
export { sha256, bytesEqual, toHex, fromHex } from './hash.ts'
export { readVarint, varintLength, writeVarint } from './varint.ts'
