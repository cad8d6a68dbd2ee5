/**
 * The vehicle processes a bench or soak run started, read from /proc: a
 * signal to the run's pid alone left them running, orphaned (a review), and
 * the tests that show it must find them without the run's help.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { expect } from 'vitest'

/** The parent pid and state of a process, from /proc; undefined once it is gone. */
function procStat (pid: number): { ppid: number, state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(ppid), state }
  } catch {
    return undefined
  }
}

/** A zombie has exited: only its parent has not read its exit status yet. */
export function running (pid: number): boolean {
  const stat = procStat(pid)
  return stat != null && stat.state !== 'Z'
}

/** The `vguard-node start` processes under `root` (the run, or as root the namespace's run under it). */
export function vehiclePids (root: number): number[] {
  const pids = readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number)
  const parents = new Map(pids.flatMap(pid => { const s = procStat(pid); return s == null ? [] : [[pid, s.ppid] as const] }))
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid); p != null && p > 1; p = parents.get(p)) if (p === root) return true
    return false
  }
  return pids.filter(pid => {
    if (!under(pid)) return false
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      return argv.some(a => a.endsWith('bin/vguard-node')) && argv.includes('start')
    } catch {
      return false
    }
  })
}

/** A run (the bench, the soak) started in a process group of its own, its output gathered. */
export interface WatchedRun {
  child: ChildProcess
  output: () => string
  exit: Promise<number | null>
}

/** Starts `script` with `args` on Node, its temp dirs under `tmp`. */
export function startRun (script: string, args: string[], tmp: string): WatchedRun {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp }, detached: true })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const exit = new Promise<number | null>((resolve) => { child.once('close', (code) => { resolve(code) }) })
  return { child, output: () => output, exit }
}

/**
 * Sends SIGTERM to the run's pid alone, as `kill`, `timeout` or a supervisor
 * does (as root through the namespace's parent): it must exit 143 having
 * stopped `vehicles` (they went on running, orphaned), say so as `name`, and
 * leave no dir starting with `prefix` in `tmp`.
 */
export async function expectStoppedBySigterm (run: WatchedRun, vehicles: number[], name: string, prefix: string, tmp: string): Promise<void> {
  process.kill(run.child.pid as number, 'SIGTERM')
  expect(await run.exit, run.output()).toBe(143)
  expect(vehicles.filter(running), 'vehicles left running').toEqual([])
  expect(run.output()).toContain(`${name}: SIGTERM: stopped ${vehicles.length} vehicle process(es)`)
  expect((await readdir(tmp)).filter(n => n.startsWith(prefix)), run.output()).toEqual([])
}

/** Kills what a run left running: its process group (vehicles inherit it), then any orphan by pid. */
export function killLeftovers (run: WatchedRun, vehicles: number[]): void {
  try { process.kill(-(run.child.pid as number), 'SIGKILL') } catch {}
  for (const pid of vehicles.filter(running)) process.kill(pid, 'SIGKILL')
}
