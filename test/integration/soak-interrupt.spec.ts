/**
 * `npm run soak` runs vehicle processes for minutes. A SIGTERM to its pid
 * alone (`kill`, `timeout`, a supervisor) killed it at once (it had no
 * handler) and left its vehicles running, orphaned, with its temp dir behind
 * (a review). Needs `npm run build` (the soak runs from dist/).
 */
import { describe, it, expect } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { running, vehiclePids } from '../utils/process-tree.ts'
import { waitFor } from '../utils/wait.ts'

const SOAK = fileURLToPath(new URL('../../dist/bench/soak.js', import.meta.url))

describe('soak - interrupted', () => {
  it.skipIf(!existsSync(SOAK) || !existsSync('/proc/self/stat'))('SIGTERM to the soak\'s pid alone stops the vehicle processes it started, removes its dir and exits 143', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-soak-test-'))
    let vehicles: number[] = []
    // the fewest vehicles it takes, and no churn before the signal
    const child = spawn(process.execPath, [SOAK, '--vehicles', '3', '--duration', '600', '--churn', '600'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp }, detached: true })
    try {
      let output = ''
      child.stdout.on('data', (d: Buffer) => { output += d.toString() })
      child.stderr.on('data', (d: Buffer) => { output += d.toString() })
      const exit = new Promise<number | null>((resolve) => { child.once('close', (code) => { resolve(code) }) })
      await waitFor(() => {
        if (child.exitCode != null) throw new Error(`the soak exited with ${child.exitCode}: ${output}`)
        return vehiclePids(child.pid as number).length === 3
      }, { timeout: 30_000, message: 'the soak\'s three vehicles started', state: () => output })
      vehicles = vehiclePids(child.pid as number)
      process.kill(child.pid as number, 'SIGTERM')
      expect(await exit, output).toBe(143)
      // stopped before it exited (they went on running, orphaned, on the dir it left behind)
      expect(vehicles.filter(running), 'vehicles left running').toEqual([])
      expect(output).toContain('soak: SIGTERM: stopped 3 vehicle process(es)')
      expect((await readdir(tmp)).filter(n => n.startsWith('vguard-soak-')), output).toEqual([])
    } finally {
      // what the soak left running: its process group (vehicles inherit it), then any orphan by pid
      try { process.kill(-(child.pid as number), 'SIGKILL') } catch {}
      for (const pid of vehicles.filter(running)) process.kill(pid, 'SIGKILL')
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})
