/**
 * The vehicle processes a bench or soak run started, read from /proc: a
 * signal to the run's pid alone left them running, orphaned (a review), and
 * the tests that show it must find them without the run's help.
 */
import { readFileSync, readdirSync } from 'node:fs'

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
