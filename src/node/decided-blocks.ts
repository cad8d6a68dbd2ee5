/**
 * Putting the blocks decided values make into the chain store. Replaying
 * slots after a crash is harmless: a block the store holds already is
 * recognised by its hash. Another block at its height means this node's
 * history was lost or restored from an older copy, and the chain stops.
 */
import { bytesEqual } from '../chain/index.ts'
import type { Block, ChainTip } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { ChainDivergedError } from './consensus-errors.ts'

/**
 * Stores a decided block unless the store already holds it (`tip`: the
 * store's, if just read). A store that lacks the blocks before it
 * (released, or never fetched) is left as it is: reconcile fills it in.
 *
 * @throws ChainDivergedError when the store holds another block at its height
 */
export async function storeDecidedBlock (store: ChainStore, block: Block, tip?: ChainTip): Promise<void> {
  const chainId = block.header.chainId
  const current = tip ?? await store.tip(chainId)
  const height = block.header.height
  if (current.height >= height) {
    const existing = await store.getBlock(chainId, height)
    if (existing != null && !bytesEqual(existing.hash, block.hash)) {
      throw new ChainDivergedError(`the chain on disk holds another block at height ${height} than its booth decided ` +
        '(was the data dir restored from an older copy, or its database lost?): no write of this chain is acknowledged from here on, ' +
        'as its blocks could not be stored; the chain its booth decided is on its backups')
    }
    return
  }
  if (current.height === height - 1 && bytesEqual(current.hash, block.header.prevHash)) {
    await store.append(block, { sync: false })
  }
}

/**
 * Appends a run of decided blocks that extends the store's tip in one
 * batch; when something else (sync, replication) appended meanwhile, one by
 * one as storeDecidedBlock does.
 *
 * @throws ChainDivergedError (see storeDecidedBlock)
 */
export async function storeDecidedRun (store: ChainStore, blocks: Block[]): Promise<void> {
  if (blocks.length === 0) return
  try {
    await store.appendMany(blocks, { sync: false })
  } catch (err) {
    if ((err as Error).name !== 'InvalidBlockError') throw err
    for (const b of blocks) await storeDecidedBlock(store, b)
  }
}
