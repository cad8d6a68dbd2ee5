/**
 * Retention survives kill -9 at any moment: a real child process keeps
 * appending to a temporary copy (bulk, in segment files) and pruning it with
 * pins on it, and is killed at random points. After each kill the copy
 * verifies end to end, nothing acknowledged is lost, every pinned payload
 * reads whole, the counters match the records, and the segment files left
 * on disk are within a bounded share of what the store counts.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emptyTip, tipOf, verifyBlock, transactionsOf, HASH_BYTES } from '../../src/chain/index.ts'
import type { ChainTip } from '../../src/chain/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LevelChainStore } from '../../src/storage/level.ts'
import { LIVE_SHARE } from '../../src/storage/dead-segments.ts'
import { runUntilKilled } from '../utils/kill.ts'
import { segmentBytes } from '../utils/segment-bytes.ts'

const PRUNER = fileURLToPath(new URL('../fixtures/retention-pruner.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../../dist/src/storage/retention.js', import.meta.url))
const KILLS = 25
const CHAIN = 'copy'
/** Most payloads in segment files that roll every few blocks. */
const OPTIONS = { inlineMax: 1_000, segmentMin: 1_000, segmentBytes: 64 * 1024 }

describe('storage - retention under kill -9', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it(`keeps the copy whole where it must across ${KILLS} kills mid-prune`, async () => {
    expect(existsSync(DIST), 'run `npm run build` first: the pruner runs the compiled code').toBe(true)
    dir = await mkdtemp(join(tmpdir(), 'vguard-retention-kill-'))
    let lastAcked = 0
    let runs = 0
    /** Heights acknowledged that wrote the pinned key. */
    const evidence = new Set<number>()
    for (let round = 0; round < KILLS; round++) {
      const acked: number[] = []
      await runUntilKilled(PRUNER, [dir, CHAIN, JSON.stringify(OPTIONS)], 400, ([word, n, ...pinned]) => {
        if (word === 'ack') {
          acked.push(Number(n))
          for (const h of pinned) evidence.add(Number(h))
        } else if (word === 'run') runs++
      })
      if (acked.length > 0) lastAcked = Math.max(lastAcked, ...acked)
      const database = await openDatabase(dir)
      try {
        const store = await LevelChainStore.open(database, OPTIONS)
        const tip = await store.tip(CHAIN)
        expect(tip.height).toBeGreaterThanOrEqual(lastAcked)
        let prev: ChainTip = emptyTip(CHAIN)
        const counted = { bytes: 0, payloadBytes: 0, prunedBlocks: 0 }
        for await (const block of store.blocks(CHAIN)) {
          verifyBlock(block, prev, { allowPruned: true })
          const { height } = block.header
          counted.bytes += block.headerBytes.byteLength + HASH_BYTES
          if (block.payload == null) {
            counted.prunedBlocks++
            // nothing pinned is lost: the range, and every block that writes the key
            expect(height >= 5 && height <= 9, `pinned height ${height} pruned`).toBe(false)
            expect(evidence.has(height), `height ${height} wrote the pinned key and was pruned`).toBe(false)
          } else {
            counted.bytes += block.header.payloadBytes
            counted.payloadBytes += block.header.payloadBytes
            if (evidence.has(height)) expect(transactionsOf(block).some(t => t.key === 'evidence')).toBe(true)
          }
          prev = tipOf(block)
        }
        expect(prev).toEqual(tip)
        expect(await store.info(CHAIN)).toMatchObject(counted)
        if (evidence.size > 0) {
          // a kill between an unacknowledged append's batch and its segment write (they run side by side) has
          // open() cut that append (recovery.ts); a key it wrote is then unknown when a pruned block lies between
          // the cut and its writer below, as documented (PayloadPrunedError), though the acknowledged writer's
          // payload is there (checked above). A key pin could let the walk go past pruned blocks: not done yet
          // (a CI run, 2026-12-03)
          const read = await store.get(CHAIN, 'evidence').catch((err: Error) => err)
          if (read instanceof Error) expect(read.message).toMatch(/^the value of evidence as of block \d+ of copy is unknown: the blocks after it were cut at open/)
          else expect(read?.value).toBeDefined()
        }
        // what the segment files keep beyond the blocks still held: under the mostly-pruned share of one front segment
        const info = await store.info(CHAIN)
        expect(await segmentBytes(dir)).toBeLessThanOrEqual((info?.bytes ?? 0) / LIVE_SHARE)
        lastAcked = Math.max(lastAcked, tip.height)
        await store.close()
      } finally {
        await database.close()
      }
    }
    // the kills really landed while it pruned
    expect(runs).toBeGreaterThan(KILLS)
  })
})
