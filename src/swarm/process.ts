/**
 * Runs `vguard-node start` as a child process and reads what it prints: the
 * demo, the benchmarks and the integration tests all drive real processes
 * through this one helper.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

/** Path of the CLI entry, whether we run from src/ (tests) or dist/ (demo, bench). */
export const BIN_PATH = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../bin/vguard-node' : '../../bin/vguard-node', import.meta.url))

/** V8 flags a vehicle runs with, as bin/vguard-node's shebang gives them: a small young generation saves ~20 MiB RSS. */
export const NODE_FLAGS = ['--max-semi-space-size=2']

export interface NodeProcessInfo {
  peerId: string
  addresses: string[]
  httpUrl: string
}

export interface NodeProcess extends NodeProcessInfo {
  readonly child: ChildProcess
  /** Every line printed so far (stdout and stderr). */
  readonly output: string[]
  /** SIGTERM, then wait for the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
  /** Resolves with the exit code (null if killed by a signal, or if it could not be spawned). */
  readonly exited: Promise<number | null>
}

export interface SpawnNodeInit {
  args: string[]
  /** Prefix the command, e.g. ['ip', 'netns', 'exec', 'host1']. */
  wrapper?: string[]
  env?: NodeJS.ProcessEnv
  /**
   * Whether the VGUARD_* variables of this process's environment reach the
   * node (as flags' defaults). The demo says no: its vehicles are set by their
   * flags alone (a VGUARD_BOOTSTRAP the compose file sets had vehicle-1 dial
   * the real fleet: a review); tests and the soak may set the node by them.
   * Variables in `env` always reach it. @default true
   */
  inheritVguardEnv?: boolean
  /** How long to wait for "ready". @default 20000 */
  readyTimeout?: number
  /** The CLI entry to run (e.g. an installed copy's). @default BIN_PATH */
  bin?: string
  /**
   * Told of the child the moment it is spawned, before it is ready: a caller
   * that must be able to stop every process it started (the bench, on a
   * signal) tracks it from here, as one still starting is not returned yet.
   */
  onSpawn?: (child: ChildProcess) => void
}

export class NodeProcessError extends Error {
  static name = 'NodeProcessError'
  constructor (message = 'vguard-node process failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'NodeProcessError'
  }
}

/**
 * The command could not be spawned at all (ENOENT: the wrapper or Node is not
 * there): no process ran, so there is no exit to wait for.
 */
export class NodeSpawnError extends NodeProcessError {
  static name = 'NodeSpawnError'
  constructor (message = 'vguard-node process could not be spawned', options?: ErrorOptions) {
    super(message, options)
    this.name = 'NodeSpawnError'
  }
}

/** The environment without the VGUARD_* variables `vguard-node start` takes its flags' defaults from. */
export function withoutVguardEnv (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('VGUARD_')))
}

export async function spawnNode (init: SpawnNodeInit): Promise<NodeProcess> {
  const command = [...(init.wrapper ?? []), process.execPath, ...NODE_FLAGS, init.bin ?? BIN_PATH, 'start', ...init.args]
  const child = spawn(command[0], command.slice(1), {
    env: { ...(init.inheritVguardEnv === false ? withoutVguardEnv(process.env) : process.env), ...init.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  init.onSpawn?.(child)
  const output: string[] = []
  let peerId: string | undefined
  let httpUrl: string | undefined
  const addresses: string[] = []
  let spawnFailed: NodeSpawnError | undefined
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => { resolve(code) })
    // a failed spawn emits 'error' and never 'exit': without this the exit was awaited for ever (a review)
    child.on('error', (err) => {
      // after a spawn (a kill that failed, say): the process runs on and its exit still comes
      if (child.pid != null) { output.push(`spawnNode: ${err.message}`); return }
      spawnFailed = new NodeSpawnError(`could not spawn ${command[0]}: ${err.message}`, { cause: err })
      resolve(null)
    })
  })
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new NodeProcessError(`no "ready" within ${init.readyTimeout ?? 20_000} ms:\n${output.join('\n')}`))
    }, init.readyTimeout ?? 20_000)
    const onLine = (line: string): void => {
      output.push(line)
      if (line.startsWith('peer id: ')) peerId = line.slice(9)
      else if (line.startsWith('listening: ')) addresses.push(line.slice(11))
      else if (line.startsWith('http: ')) httpUrl = line.slice(6)
      else if (line === 'ready') { clearTimeout(timer); resolve() }
    }
    createInterface({ input: child.stdout }).on('line', onLine)
    createInterface({ input: child.stderr }).on('line', (line) => { output.push(line) })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(spawnFailed ?? new NodeProcessError(`exited with ${String(code)} before ready:\n${output.join('\n')}`))
    })
  })
  try {
    await ready
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw err
  }
  return {
    child,
    output,
    peerId: peerId ?? '',
    addresses,
    httpUrl: httpUrl ?? '',
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode == null && child.signalCode == null) child.kill(signal)
      return await exited
    }
  }
}

/**
 * Stops a vehicle process: SIGTERM for a clean stop (a second or two), SIGKILL
 * if it still runs after `graceMs`, so whoever stops it is not held by one
 * that hangs. Resolves once it has exited, with whether it had to be killed.
 */
export async function stopWithin (child: ChildProcess, graceMs: number): Promise<boolean> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode != null || child.signalCode != null) resolve()
    else child.once('exit', () => { resolve() })
  })
  let killed = false
  child.kill('SIGTERM')
  const timer = setTimeout(() => { killed = child.kill('SIGKILL') }, graceMs)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
  return killed
}
