/**
 * `npm run soak` runs vehicle processes for minutes. A SIGTERM to its pid
 * alone (`kill`, `timeout`, a supervisor) killed it at once (it had no
 * handler) and left its vehicles running, orphaned, with its temp dir behind
 * (a review). Needs `npm run build` (the soak runs from dist/).
 */
import { describe, it, expect } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expectStoppedBySigterm, killLeftovers, startRun, vehiclePids } from '../utils/process-tree.ts'
import { waitFor } from '../utils/wait.ts'

const SOAK = fileURLToPath(new URL('../../dist/bench/soak.js', import.meta.url))

/** The pids of the soak's three vehicles, once all three are running. */
async function threeVehicles (run: ReturnType<typeof startRun>): Promise<number[]> {
  await waitFor(() => {
    if (run.child.exitCode != null) throw new Error(`the soak exited with ${run.child.exitCode}: ${run.output()}`)
    return vehiclePids(run.child.pid as number).length === 3
  }, { timeout: 30_000, message: 'the soak\'s three vehicles started', state: () => run.output() })
  return vehiclePids(run.child.pid as number)
}

describe('soak - interrupted', () => {
  it.skipIf(!existsSync(SOAK) || !existsSync('/proc/self/stat'))('SIGTERM to the soak\'s pid alone stops the vehicle processes it started, removes its dir and exits 143', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-soak-test-'))
    let vehicles: number[] = []
    // the fewest vehicles it takes, and no churn before the signal
    const run = startRun(SOAK, ['--vehicles', '3', '--duration', '600', '--churn', '600'], tmp)
    try {
      vehicles = await threeVehicles(run)
      await expectStoppedBySigterm(run, vehicles, 'soak', 'vguard-soak-', tmp)
    } finally {
      killLeftovers(run, vehicles)
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)

  it.skipIf(!existsSync(SOAK) || !existsSync('/proc/self/stat'))('with --keep, its dir stays, with what each vehicle printed in a log beside its data dir', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-soak-test-'))
    let vehicles: number[] = []
    const run = startRun(SOAK, ['--vehicles', '3', '--duration', '600', '--churn', '600', '--keep'], tmp)
    try {
      vehicles = await threeVehicles(run)
      const [root, ...others] = (await readdir(tmp)).filter(n => n.startsWith('vguard-soak-'))
      expect(others).toEqual([])
      const kept = join(tmp, root)
      const logged = async (name: string): Promise<string> => await readFile(join(kept, `${name}.log`), 'utf8').catch(() => '')
      await waitFor(async () => (await Promise.all(['v0', 'v1', 'v2'].map(logged))).every(log => /^ready$/m.test(log)), { timeout: 30_000, message: 'each vehicle\'s log says it is ready' })
      process.kill(run.child.pid as number, 'SIGTERM')
      expect(await run.exit, run.output()).toBe(143)
      expect((await readdir(kept)).sort()).toEqual(['v0', 'v0.log', 'v1', 'v1.log', 'v2', 'v2.log'])
      for (const name of ['v0', 'v1', 'v2']) {
        const log = await logged(name)
        // its start, its words (its peer id, ready; its stop on the soak's SIGTERM), and its exit
        expect(log, name).toMatch(/^--- \S+ started \(pid \d+\)\n/)
        expect(log, name).toMatch(/^peer id: 12D3KooW/m)
        expect(log, name).toMatch(/^ready$/m)
        expect(log, name).toMatch(/^SIGTERM: stopping$/m)
        // 0, or SIGKILL for one whose stop waited on a write of the soak's (its 5 s commit timeout) past the 3 s grace
        expect(log, name).toMatch(/\n--- \S+ exited \((0|SIGKILL)\)\n$/)
      }
    } finally {
      killLeftovers(run, vehicles)
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('soak - flags', () => {
  it.skipIf(!existsSync(SOAK))('a flag it does not take gets the usage and exit 2, --help the usage and exit 0: no stack trace, nothing started', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-soak-test-'))
    try {
      // it threw Node's ERR_PARSE_ARGS_UNKNOWN_OPTION with a stack trace, --help too (a probe, 2026-12-03)
      const unknown = startRun(SOAK, ['--vehicle', '3'], tmp)
      expect(await unknown.exit, unknown.output()).toBe(2)
      expect(unknown.output()).toMatch(/^Unknown option '--vehicle'.*\nusage: npm run soak -- /s)
      expect(unknown.output()).not.toMatch(/\n\s+at /)
      const help = startRun(SOAK, ['--help'], tmp)
      expect(await help.exit, help.output()).toBe(0)
      expect(help.output()).toMatch(/^usage: npm run soak -- /)
      expect(help.output()).not.toMatch(/\n\s+at /)
      expect(await readdir(tmp)).toEqual([])
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }, 30_000)
})
