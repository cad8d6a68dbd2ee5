import { removeListenersLater } from '../swarm/signals.ts'

export interface StopSignal {
  signal: Promise<string>
  /** Stops listening at once: a later signal has Node's default action. */
  dispose: () => void
  /**
   * The node has stopped cleanly: repeats are ignored, without a word, until
   * the process exits (signal listeners do not keep it alive), or for
   * SETTLED_GRACE_MS (src/swarm/signals.ts) if it lives on.
   */
  settle: () => void
}

/** The signals that stop a node cleanly. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Resolves with the first SIGINT, SIGTERM or SIGHUP. It goes on listening until
 * dispose() or settle(): a signal sent to a process group (npm, timeout, a
 * service manager) can come twice, and the second must not kill the node
 * while it stops with its database open, nor turn a clean stop's exit code 0
 * into 143 in the moments before the process exits; `again` is told of each
 * repeat until settle().
 */
export function onStopSignal (again: (signal: string) => void): StopSignal {
  let dispose = (): void => {}
  let first: string | undefined
  let settled = false
  const signal = new Promise<string>((resolve) => {
    const on = (name: string) => (): void => {
      if (settled) return
      if (first != null) { again(name); return }
      first = name
      resolve(name)
    }
    // SIGHUP: the terminal the node was started from closed; by default it killed the node with its database open
    const handlers = STOP_SIGNALS.map(name => [name, on(name)] as const)
    dispose = () => {
      for (const [name, handler] of handlers) process.off(name, handler)
    }
    for (const [name, handler] of handlers) process.on(name, handler)
  })
  const settle = (): void => {
    settled = true
    removeListenersLater(dispose)
  }
  return { signal, dispose, settle }
}
