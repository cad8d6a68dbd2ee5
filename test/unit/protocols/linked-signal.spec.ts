/**
 * LinkedSignal and the deadlines built on it (IdleTimeout, withDeadline).
 * Found by heap snapshots of a vehicle in an hour-long soak: 111,651 entries
 * of Node's AbortSignal.any FinalizationRegistry, one per replication of a
 * block to a backup, each keyed on the replicator's stop signal, which lives
 * as long as the node, so never freed (~180 bytes each, for good).
 */
import { describe, it, expect } from 'vitest'
import { getEventListeners } from 'node:events'
import v8 from 'node:v8'
import vm from 'node:vm'
import { LinkedSignal, withDeadline } from '../../../src/protocols/stream.ts'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

async function settledHeap (): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
}

describe('protocols - signals linked to a long-lived one', () => {
  it('abort with a parent, at once if it already did, and unlink at clear()', () => {
    const parent = new AbortController()
    const other = new AbortController()
    const link = new LinkedSignal([parent.signal, undefined, other.signal])
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1)
    other.abort(new Error('other'))
    expect(link.signal.aborted).toBe(true)
    expect((link.signal.reason as Error).message).toBe('other')
    // aborting unlinks it from every parent
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0)

    const early = new LinkedSignal([AbortSignal.abort(new Error('before'))])
    expect((early.signal.reason as Error).message).toBe('before')

    const cleared = new LinkedSignal([parent.signal])
    cleared.clear()
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0)
    parent.abort()
    expect(cleared.signal.aborted).toBe(false)
  })

  it('deadlines under a long-lived signal leave nothing behind (AbortSignal.any left ~8 MiB per 50,000)', async () => {
    const stopping = new AbortController().signal
    await withDeadline(1_000, async () => {}, 'warm-up', stopping)
    const before = await settledHeap()
    for (let i = 0; i < 50_000; i++) await withDeadline(1_000, async () => {}, 'a round', stopping)
    const grown = (await settledHeap()) - before
    expect(getEventListeners(stopping, 'abort')).toHaveLength(0)
    expect(grown).toBeLessThan(2 * 2 ** 20)
  })
})
