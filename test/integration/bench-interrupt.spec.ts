/**
 * `npm run bench` runs for many minutes and writes chains of 64 MiB and more
 * into temp dirs; Ctrl-C (SIGINT to the process group) killed it at once (it
 * had no handler) and left those dirs behind, one set per interrupted run (a
 * review). A SIGTERM to the bench's pid alone (`kill`, `timeout`, a
 * supervisor) removed the dirs but left the vehicle processes some benchmarks
 * start running, orphaned (a review). Needs `npm run build` (the bench runs
 * from dist/).
 */
import { describe, it, expect } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expectStoppedBySigterm, killLeftovers, startRun, vehiclePids } from '../utils/process-tree.ts'
import { waitFor } from '../utils/wait.ts'

const BENCH = fileURLToPath(new URL('../../dist/bench/index.js', import.meta.url))

describe('bench - interrupted', () => {
  if (!existsSync(BENCH)) it.skip('needs the build (npm run build): the bench runs from dist/', () => {})

  it.skipIf(!existsSync(BENCH))('Ctrl-C during a benchmark leaves no vguard-bench-* dir behind, and exits as interrupted (130)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-bench-test-'))
    try {
      const child = spawn(process.execPath, [BENCH, '--only', 'storage'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp }, detached: true })
      let output = ''
      child.stdout.on('data', (d: Buffer) => { output += d.toString() })
      child.stderr.on('data', (d: Buffer) => { output += d.toString() })
      const exit = new Promise<number | null>((resolve) => { child.once('close', (code) => { resolve(code) }) })
      const benchDirs = async (): Promise<string[]> => (await readdir(tmp)).filter(n => n.startsWith('vguard-bench-'))
      // its store, under the run's root dir (mid-benchmark: a store open, writes under way)
      const stores = async (): Promise<string[]> => (await readdir(tmp, { recursive: true })).filter(p => basename(p).startsWith('vguard-bench-store-'))
      await waitFor(async () => (await stores()).length > 0, { timeout: 30_000, message: 'the benchmark made its store' })
      process.kill(-(child.pid as number), 'SIGINT')
      // as root through the namespace's parent, which passes the child's exit on (it said 1 for any signal)
      expect(await exit, output).toBe(130)
      expect(await benchDirs(), output).toEqual([])
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)

  it.skipIf(!existsSync(BENCH) || !existsSync('/proc/self/stat'))('SIGTERM to the bench\'s pid alone stops the vehicle processes it started, removes its dirs and exits 143', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-bench-test-'))
    let vehicles: number[] = []
    const run = startRun(BENCH, ['--only', 'consensus'], tmp)
    try {
      // its first figure comes once the proposer is connected to its three member processes
      await waitFor(() => run.output().includes('raw request/response'), { timeout: 30_000, message: 'the booth of four up', state: () => run.output() })
      vehicles = vehiclePids(run.child.pid as number)
      expect(vehicles, run.output()).toHaveLength(3)
      await expectStoppedBySigterm(run, vehicles, 'bench', 'vguard-bench-', tmp)
    } finally {
      killLeftovers(run, vehicles)
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})
