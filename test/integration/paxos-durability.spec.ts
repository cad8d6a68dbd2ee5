/**
 * What the consensus storage acknowledges survives kill -9 at any moment,
 * values in the value log included: a real child process saves a seeded
 * script of acceptances, re-acceptances at higher ballots, decided flags and
 * compactions into a real LevelDB and value log, and is killed at random
 * points. After each kill the state loads (every value present and matching
 * its checksum) and equals the script's state after the last acknowledged
 * save, or after the one in flight.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MemoryPaxosStorage } from '../../src/consensus/index.ts'
import type { PersistedState } from '../../src/consensus/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LevelPaxosStore } from '../../src/storage/paxos-store.ts'
import { PAXOS_VALUES_DIR } from '../../src/storage/paxos-values.ts'
import { runUntilKilled } from '../utils/kill.ts'
// @ts-expect-error: plain JS shared with the writer process, no types
import { nextPersist, seeded } from '../fixtures/paxos-script.mjs'

const WRITER = fileURLToPath(new URL('../fixtures/paxos-values-writer.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../../dist/src/storage/paxos-store.js', import.meta.url))
const KILLS = 20
const CHAIN = 'durable-consensus'
/** Most values go to the log, and its segments roll every few saves. */
const OPTIONS = { valueLogMinBytes: 1024, valueSegmentBytes: 32 * 1024 }

type Script = (state: PersistedState | undefined, random: () => number, step: number) => unknown

/** Starts the writer with `seed`, kills it with SIGKILL after a random delay, returns how many saves it acknowledged. */
async function runAndKill (dataDir: string, seed: number): Promise<number> {
  let acked = 0
  await runUntilKilled(WRITER, [dataDir, CHAIN, String(seed), JSON.stringify(OPTIONS)], 300, ([word, n]) => {
    if (word === 'ack') acked = Math.max(acked, Number(n))
  })
  return acked
}

/** The script's states from `start`, for steps 0..steps (what the writer saved, step by step). */
async function scriptStates (start: PersistedState | undefined, seed: number, steps: number): Promise<Array<PersistedState | undefined>> {
  const model = new MemoryPaxosStorage()
  if (start != null) await model.save({ hardState: start.hardState, entries: start.entries })
  const random = seeded(seed) as () => number
  const states: Array<PersistedState | undefined> = [start]
  let state = start
  for (let step = 1; step <= steps; step++) {
    await model.save((nextPersist as Script)(state, random, step) as Parameters<MemoryPaxosStorage['save']>[0])
    state = await model.load()
    states.push(state)
  }
  return states
}

describe('storage - consensus state under kill -9', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it(`keeps every acknowledged save, values in the value log included, across ${KILLS} kills`, async () => {
    expect(existsSync(DIST), 'run `npm run build` first: the writer runs the compiled code').toBe(true)
    dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-durability-'))
    let state: PersistedState | undefined
    let saves = 0
    let logged = 0
    for (let round = 1; round <= KILLS; round++) {
      const acked = await runAndKill(dir, round)
      saves += acked
      const states = await scriptStates(state, round, acked + 1)
      const database = await openDatabase(dir)
      const store = new LevelPaxosStore(database, OPTIONS)
      try {
        const loaded = await store.storage(CHAIN).load()
        // the last acknowledged save is there; the one in flight may be too
        const matches = [states[acked], states[acked + 1]].some(s => JSON.stringify(s) === JSON.stringify(loaded))
        if (!matches) expect(loaded).toEqual(states[acked])
        state = loaded
        logged = Math.max(logged, (await readdir(join(dir, PAXOS_VALUES_DIR)).catch(() => [])).length)
      } finally {
        await store.close()
        await database.close()
      }
    }
    // the kills landed mid-stream, and values really went to the log
    expect(saves).toBeGreaterThan(KILLS)
    expect(logged).toBe(1)
    expect(state?.entries.some(e => e.value.kind === 'data' && e.value.data.byteLength >= 1024)).toBe(true)
  })
})
