/**
 * The first half of VGuard's end of booth: the block its consensus agreed on,
 * appended to our own chain durably and bound to its participants; keyed, its
 * record first (booth-memory.ts), so that a retry whose answer was lost gets
 * that block back instead of appending it twice. The replication round that
 * follows is VGuardDB's (afterCommit).
 */
import type { TypedEventEmitter } from 'main-event'
import { bytesEqual, createBlock, toHex } from '../chain/index.ts'
import type { TransactionInput } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { isDatabaseClosed, StoreClosedError } from '../storage/errors.ts'
import type { BoothMemory, BoothRecord } from './booth-memory.ts'
import { retryAdvice } from './consensus-errors.ts'
import type { VGuardNodeEvents } from './events.ts'

/**
 * What an end of booth hears when its block's direct append failed. A
 * refusal before anything was written (a block that does not extend the
 * tip, a store closed or stopped before, a full disk, whose bytes never
 * reached it: open() cuts a block without them) stays as it is. Any other
 * failure (EIO) came as the block was written: part of it may be on the
 * disk, and only the store's reopen tells whether all of it is (it keeps
 * the block then). The caller got the disk's bare error (HTTP 500 "EIO",
 * no flag: a test): StoreClosedError, as the store's next writes get, with
 * mayHaveCommitted.
 */
function failedAppend (err: Error, height: number, keyed: boolean): Error {
  if (err.name === 'InvalidBlockError' || err.name === 'StoreClosedError' || err.name === 'DiskFullError' || isDatabaseClosed(err)) return err
  // keyed, the restarted node answers a retry with the block if the chain holds it (boothAppended), else appends it
  const advice = keyed ? retryAdvice(true) : '(read the chain after the restart before sending it again: a retry may append it twice)'
  return new StoreClosedError(`the end of booth's block (height ${height}) failed on the disk as it was appended (${err.message}): part of it may have reached the disk, ` +
    `and the store takes no more writes: restart the node (reopening the store keeps the block only if all of it reached the disk) ${advice}`, false, true)
}

export interface EndOfBoothAppendDeps {
  /** Our own chain's id. */
  self: string
  store: ChainStore
  /** The keyed ends of booth kept for retries. */
  booths: Pick<BoothMemory, 'remember' | 'find'>
  events: TypedEventEmitter<VGuardNodeEvents>
  /** @default Date.now */
  now?: () => number
}

export class EndOfBoothAppend {
  private readonly d: EndOfBoothAppendDeps

  constructor (deps: EndOfBoothAppendDeps) {
    this.d = deps
  }

  /** Appends VGuard's block to our chain, durably; keyed, its record first. Returns its height. */
  async append (participants: string[], transactions: TransactionInput[], id?: Uint8Array): Promise<number> {
    const { store, self } = this.d
    const prev = await store.tip(self)
    const block = createBlock({
      prev,
      proposer: self,
      booth: [self, ...participants.filter(p => p !== self)],
      timestamp: (this.d.now ?? Date.now)(),
      transactions
    })
    // the record first: a crash before the append leaves one whose block the chain does not hold (boothAppended)
    if (id != null) await this.d.booths.remember(id, { height: block.header.height, hash: block.hash })
    try {
      await store.append(block, { sync: true })
    } catch (err) {
      throw failedAppend(err as Error, block.header.height, id != null)
    }
    this.d.events.safeDispatchEvent('chain:committed', {
      detail: { chainId: self, role: 'own', height: block.header.height, hash: toHex(block.hash), blocks: 1, transactions: block.header.txCount, booth: block.header.booth }
    })
    return block.header.height
  }

  /**
   * The block an end of booth with the key `id` appended to our chain (its
   * record kept, and the chain holding that block at its height), if one did.
   */
  async appended (id: Uint8Array): Promise<BoothRecord | undefined> {
    const record = await this.d.booths.find(id)
    if (record == null) return undefined
    const held = await this.d.store.getBlock(this.d.self, record.height).catch(() => undefined)
    return held != null && bytesEqual(held.hash, record.hash) ? record : undefined
  }
}
