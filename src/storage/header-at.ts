import type { Block } from '../chain/index.ts'
import type { ChainStore } from './index.ts'

/**
 * The block at `height` as its header (no payload read: a block's payload
 * is up to 4 MiB), or undefined if the chain does not reach it.
 */
export async function headerAt (store: ChainStore, chainId: string, height: number): Promise<Block | undefined> {
  if (height < 1) return undefined
  let found: Block | undefined
  for await (const { block } of store.headers(chainId, { from: height, to: height })) found = block
  return found
}
