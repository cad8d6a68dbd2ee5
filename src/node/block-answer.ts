/**
 * A holder's block, as a consistent read takes it: it must hash right, be of
 * the chain and at the height asked for, and carry the payload its header
 * names — or none, where the holder pruned it (the header still vouches for
 * the hash). Holders are compared by the block's hash, so a block that does
 * not check out must never count as a version: the read treats it as no
 * answer, with the reason.
 */
import { decodeBlock, toHex, verifyHeader, verifyPayload } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'

export function checkedBlock (chainId: string, height: number, records: Uint8Array[] | undefined): Block {
  if (records == null || records.length !== 1) throw new Error(`expected one block, got ${records?.length ?? 0}`)
  const block = decodeBlock(records[0])
  verifyHeader(block)
  verifyPayload(block, { allowPruned: true })
  if (block.header.chainId !== chainId || block.header.height !== height) {
    throw new Error(`asked for block ${height} of ${chainId}, got block ${block.header.height} of ${block.header.chainId} (${toHex(block.hash)})`)
  }
  return block
}
