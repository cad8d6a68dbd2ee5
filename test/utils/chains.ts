import { transactionsOf } from '../../src/chain/index.ts'
import type { ChainStore } from '../../src/storage/index.ts'

/** How many blocks of a chain write `key` (a write committed twice shows as 2). */
export async function blocksWriting (store: Pick<ChainStore, 'blocks'>, chainId: string, key: string): Promise<number> {
  let n = 0
  for await (const block of store.blocks(chainId)) {
    if (transactionsOf(block).some(tx => tx.key === key)) n++
  }
  return n
}
