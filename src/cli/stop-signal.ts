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

/**
 * Resolves with the first SIGINT or SIGTERM. It goes on listening until
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
    const onInt = on('SIGINT')
    const onTerm = on('SIGTERM')
    dispose = () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  const settle = (): void => {
    settled = true
    removeListenersLater(dispose)
  }
  return { signal, dispose, settle }
}
