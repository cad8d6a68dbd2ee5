/**
 * The stop signal of `vguard-node start` (src/cli/stop-signal.ts): the first
 * SIGINT or SIGTERM starts the stop; repeats are reported, never left to
 * Node's default action (which would kill the node mid-stop), until dispose().
 */
import { describe, it, expect, vi } from 'vitest'
import { onStopSignal } from '../../../src/cli/stop-signal.ts'

describe('cli - stop signal', () => {
  it('resolves with the first signal, reports each repeat, and stops listening at dispose()', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }
    const repeats: string[] = []
    const stop = onStopSignal((signal) => { repeats.push(signal) })
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1)
    process.emit('SIGTERM', 'SIGTERM')
    process.emit('SIGTERM', 'SIGTERM')
    process.emit('SIGINT', 'SIGINT')
    expect(await stop.signal).toBe('SIGTERM')
    expect(repeats).toEqual(['SIGTERM', 'SIGINT'])
    // still listening while the node stops: a repeat must not find Node's default handler
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1)
    stop.dispose()
    expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before)
  })

  it('after settle() ignores repeats without a word, and stops listening after a grace period if the process lives on', async () => {
    vi.useFakeTimers()
    try {
      const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }
      const repeats: string[] = []
      const stop = onStopSignal((signal) => { repeats.push(signal) })
      process.emit('SIGINT', 'SIGINT')
      expect(await stop.signal).toBe('SIGINT')
      stop.settle()
      // the node has stopped: a repeat now must neither kill the process nor print after "stopped"
      process.emit('SIGINT', 'SIGINT')
      process.emit('SIGTERM', 'SIGTERM')
      expect(repeats).toEqual([])
      expect(process.listenerCount('SIGINT')).toBe(before.int + 1)
      vi.advanceTimersByTime(10_000)
      expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before)
    } finally {
      vi.useRealTimers()
    }
  })
})
