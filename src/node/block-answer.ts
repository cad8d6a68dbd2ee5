/**
 * Blocks a holder answers, as a reader takes them: each must hash right, be
 * of the chain asked for, and carry the payload its header names — or none,
 * where the holder pruned it (the header still vouches for the hash); a run
 * must start at the height asked for, go up one height at a time, and each
 * block must point to the one before. A consistent read compares holders by
 * block hash and a redirect read hands the blocks to its caller, so a block
 * that does not check out must never count as an answer.
 *
 * A block that hashes right and links up may still be made up (its maker
 * computed the hash) or of another fork: the chain's signed table vouches for
 * one block, its tip. So where the reader holds a table, an answer with a
 * block at the table's height must have the table's tip hash there.
 */
import { bytesEqual, decodeBlock, toHex, verifyHeader, verifyPayload } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import type { BackupTable } from '../backup/index.ts'
import { ReadRequest, ReadResponse } from '../protocols/read/index.ts'

/**
 * Blocks `from`, `from + 1`, … of `chainId`, checked; at most `to` when given.
 *
 * @throws InvalidBlockError, or Error saying which block is not the one asked for
 */
export function checkedRun (chainId: string, from: number, records: Uint8Array[], to = Infinity): Block[] {
  const blocks: Block[] = []
  for (const record of records) {
    const block = decodeBlock(record)
    verifyHeader(block)
    verifyPayload(block, { allowPruned: true })
    const height = from + blocks.length
    if (height > to) throw new Error(`block ${height} of ${chainId} is past the last one asked for (${to})`)
    if (block.header.chainId !== chainId || block.header.height !== height) {
      throw new Error(`asked for block ${height} of ${chainId}, got block ${block.header.height} of ${block.header.chainId} (${toHex(block.hash)})`)
    }
    const before = blocks.at(-1)
    if (before != null && !bytesEqual(block.header.prevHash, before.hash)) {
      throw new Error(`block ${height} of ${chainId} does not point to the block ${height - 1} answered with it`)
    }
    blocks.push(block)
  }
  return blocks
}

/** The one block at `height` of `chainId`, checked (see checkedRun). */
export function checkedBlock (chainId: string, height: number, records: Uint8Array[] | undefined): Block {
  if (records == null || records.length !== 1) throw new Error(`expected one block, got ${records?.length ?? 0}`)
  return checkedRun(chainId, height, records)[0]
}

/**
 * Throws unless the block of `blocks` at the height `table` was signed at, if
 * there is one, is the tip it names.
 */
function checkedAgainst (blocks: Block[], table: BackupTable | undefined): void {
  // a table signed before the chain's first block vouches for none
  if (table == null || table.height === 0) return
  const block = blocks.find(b => b.header.height === table.height && b.header.chainId === table.chainId)
  if (block != null && !bytesEqual(block.hash, table.tipHash)) {
    throw new Error(`block ${table.height} of ${table.chainId} (${toHex(block.hash)}) is not the tip its signed table names (epoch ${table.epoch}: ${toHex(table.tipHash)})`)
  }
}

/**
 * A holder's answer to a BLOCK or RANGE request with its blocks checked: one
 * that does not check out becomes an ERROR naming why, so a read moves on to
 * the next holder instead of serving it. Other answers pass unchanged.
 * `table` is the newest verified table of the chain the reader holds.
 */
export function checkedBlockAnswer (request: ReadRequest, response: ReadResponse, table?: BackupTable): ReadResponse {
  if (response.status !== ReadResponse.Status.OK) return response
  try {
    if (request.kind === ReadRequest.Kind.BLOCK) checkedAgainst([checkedBlock(request.chainId, request.height, response.blocks)], table)
    else if (request.kind === ReadRequest.Kind.RANGE) {
      if (response.blocks.length === 0) throw new Error('no blocks')
      checkedAgainst(checkedRun(request.chainId, request.height, response.blocks, request.to), table)
    }
    return response
  } catch (err) {
    return { ...response, status: ReadResponse.Status.ERROR, blocks: [], message: `blocks that do not verify: ${(err as Error).message}` }
  }
}

/**
 * Whether an answer carries every block it holds whole: false when a block's
 * payload was pruned (retention) where it was read. Call on answers that
 * checked out (checkedBlockAnswer); other kinds of answer are whole.
 */
export function wholeBlockAnswer (request: ReadRequest, response: ReadResponse): boolean {
  if (request.kind !== ReadRequest.Kind.BLOCK && request.kind !== ReadRequest.Kind.RANGE) return true
  return response.blocks.every(record => decodeBlock(record).payload != null)
}
