/**
 * What the store acknowledges survives kill -9 at any moment: a real child
 * process appends to a real LevelDB and is killed at random points; after each
 * kill the chain must verify end to end, the tip must be the last block, every
 * acknowledged height must be there, and the state must equal a replay of the
 * blocks.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emptyTip, tipOf, verifyBlock, transactionsOf, bytesEqual } from '../../src/chain/index.ts'
import type { ChainTip } from '../../src/chain/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LevelChainStore, SEGMENTS_DIR } from '../../src/storage/level.ts'
import { runUntilKilled } from '../utils/kill.ts'

const WRITER = fileURLToPath(new URL('../fixtures/durability-writer.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../../dist/src/storage/level.js', import.meta.url))
const KILLS = 25
const CHAIN = 'durable-chain'

interface Run { acked: number[], readyHeight: number }

/** Starts the writer, kills it with SIGKILL after a random delay, returns what it acknowledged. */
async function runAndKill (dataDir: string, storeOptions: string): Promise<Run> {
  const run: Run = { acked: [], readyHeight: -1 }
  await runUntilKilled(WRITER, [dataDir, CHAIN, storeOptions], 400, ([word, n]) => {
    if (word === 'ready') run.readyHeight = Number(n)
    else if (word === 'ack') run.acked.push(Number(n))
  })
  return run
}

describe.each([
  { name: 'default store', storeOptions: {} },
  // most payloads in segment files, which roll every few blocks: kills land between a segment write and its batch
  { name: 'payloads in segments', storeOptions: { inlineMax: 8 * 1024, segmentMin: 8 * 1024, segmentBytes: 64 * 1024 } }
])('storage - durability under kill -9 ($name)', ({ storeOptions }) => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it(`keeps every acknowledged block and a consistent state across ${KILLS} kills`, async () => {
    expect(existsSync(DIST), 'run `npm run build` first: the writer runs the compiled code').toBe(true)
    dir = await mkdtemp(join(tmpdir(), 'vguard-durability-'))
    let lastAcked = 0
    let appendsSeen = 0
    for (let round = 0; round < KILLS; round++) {
      const run = await runAndKill(dir, JSON.stringify(storeOptions))
      // the writer started from what the previous round left
      expect(run.readyHeight).toBeGreaterThanOrEqual(lastAcked)
      appendsSeen += run.acked.length
      if (run.acked.length > 0) lastAcked = Math.max(lastAcked, ...run.acked)

      const database = await openDatabase(dir)
      try {
        const store = await LevelChainStore.open(database)
        const tip = await store.tip(CHAIN)
        expect(tip.height).toBeGreaterThanOrEqual(lastAcked)
        // the chain verifies end to end and ends at the tip; replay it into a state
        const replay = new Map<string, { value: Uint8Array, height: number }>()
        let prev: ChainTip = emptyTip(CHAIN)
        for await (const block of store.blocks(CHAIN)) {
          verifyBlock(block, prev)
          for (const tx of transactionsOf(block)) {
            if (tx.op === 'PUT') replay.set(tx.key, { value: tx.value, height: block.header.height })
            else replay.delete(tx.key)
          }
          prev = tipOf(block)
        }
        expect(prev.height).toBe(tip.height)
        expect(bytesEqual(prev.hash, tip.hash)).toBe(true)
        for (const h of run.acked) expect((await store.getBlock(CHAIN, h))?.header.height).toBe(h)
        // the materialised state is exactly the replay
        const state = new Map<string, { value: Uint8Array, height: number }>()
        for await (const e of store.entries(CHAIN)) state.set(e.key, { value: e.value ?? new Uint8Array(), height: e.height })
        expect(state).toEqual(replay)
        lastAcked = Math.max(lastAcked, tip.height)
        await store.close()
      } finally {
        await database.close()
      }
    }
    // the kills really landed mid-stream
    expect(appendsSeen).toBeGreaterThan(KILLS)
    if ('segmentBytes' in storeOptions) {
      // and the segment variant really wrote (and rolled) segments
      const dirs = await readdir(join(dir, SEGMENTS_DIR))
      const files = (await Promise.all(dirs.map(async d => await readdir(join(dir as string, SEGMENTS_DIR, d))))).flat()
      expect(files.length).toBeGreaterThan(1)
    }
  })
})
