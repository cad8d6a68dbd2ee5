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

/**
 * What a crash leaves of a level store's open files: the kernel closes a dead
 * process's descriptors. Closes its segment handles without the store's clean
 * shutdown (no meta flush, no sync), so the test's "crash" leaks nothing.
 */
export async function dropOpenFiles (store: object | undefined): Promise<void> {
  await (store as { segments?: { close: () => Promise<void> } } | undefined)?.segments?.close()
}
