/**
 * Private network namespaces for the demo and the benchmarks. mDNS multicast
 * leaves by the default interface and we may only send to loopback and to
 * namespaces we create: as root on Linux we re-run the program under
 * `unshare -n` with just `lo` up, where multicast stays on loopback.
 */
import { spawn, spawnSync } from 'node:child_process'
import { constants, networkInterfaces } from 'node:os'
import { removeListenersLater } from './signals.ts'

/**
 * Signals passed on to the child in the namespace, which stops on each. Ctrl-C
 * reaches it from the terminal's process group as well: it takes repeats.
 */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export function canUnshareNetwork (): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0
}

/**
 * True inside a namespace made by reexecInPrivateNetns with this marker: the
 * marker is set and loopback is all there is (the marker alone, set by hand
 * on a host, would turn mDNS on on the host's LAN).
 */
export function inPrivateNetns (marker: string, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): boolean {
  return process.env[marker] === '1' && Object.values(interfaces).every(addresses => addresses?.every(a => a.internal) ?? true)
}

/**
 * Re-runs this very command inside `unshare -n` (lo up), stdio inherited;
 * resolves with its exit code. SIGINT, SIGTERM and SIGHUP are forwarded.
 */
export async function reexecInPrivateNetns (marker: string): Promise<number> {
  const script = 'ip link set lo up && exec "$0" "$@"'
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', script, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [marker]: '1' }
  })
  const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
  // SIGINT was ignored, as if only a terminal's Ctrl-C (the whole group) sent it: one to this pid
  // alone (kill -INT, a supervisor) stopped nothing; SIGHUP killed this process (129) and left the
  // child and its vehicles running (a review)
  for (const signal of FORWARDED) process.on(signal, forward)
  try {
    // a child killed by a signal exits as a shell says it (128 + the signal's number), not 1
    return await new Promise((resolve) => { child.once('exit', (code, signal) => { resolve(code ?? 128 + (signal != null ? constants.signals[signal] : 0)) }) })
  } finally {
    // a repeat that comes as this process exits must not turn the child's exit code into 130 or 143
    removeListenersLater(() => {
      for (const signal of FORWARDED) process.off(signal, forward)
    })
  }
}
