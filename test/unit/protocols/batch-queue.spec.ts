import { describe, it, expect } from 'vitest'
import { BatchQueue } from '../../../src/protocols/batch-queue.ts'

async function microtasks (n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

describe('protocols - BatchQueue', () => {
  it('runs what was pushed meanwhile as one batch once the run in flight ends', async () => {
    const runs: number[][] = []
    let release = (): void => {}
    const q = new BatchQueue<number>(async (items) => {
      runs.push(items)
      if (runs.length === 1) await new Promise<void>((resolve) => { release = resolve })
    })
    q.push(1)
    q.push(2)
    q.push(3)
    release()
    await q.idle()
    expect(runs).toEqual([[1], [2, 3]])
  })

  it('never strands an item pushed just as a run ends, at any point of the hand-over', async () => {
    // the gap between a run ending and the queue noticing is a few microtasks wide: try each
    for (let gap = 0; gap < 12; gap++) {
      const done: number[] = []
      const q = new BatchQueue<number>(async (items) => { done.push(...items) })
      q.push(1)
      await microtasks(gap)
      q.push(2)
      await q.idle()
      expect(done, `pushed ${gap} microtasks after the first`).toEqual([1, 2])
    }
  })

  it('stops at the first failure and keeps it; idle() resolves', async () => {
    const runs: number[][] = []
    const q = new BatchQueue<number>(async (items) => {
      runs.push(items)
      throw new Error('disk full')
    })
    q.push(1)
    await q.idle()
    q.push(2)
    await q.idle()
    expect(runs).toEqual([[1]])
    expect(q.failure?.message).toBe('disk full')
  })

  it('holds the producer back while more than the given bytes are pending', async () => {
    let release = (): void => {}
    const q = new BatchQueue<number>(async () => { await new Promise<void>((resolve) => { release = resolve }) })
    q.push(1, 600)
    q.push(2, 600)
    expect(q.pendingBytes).toBe(1200)
    let passed = false
    const waiting = q.below(700).then(() => { passed = true })
    await microtasks(5)
    expect(passed).toBe(false)
    // the first run ends: 600 bytes are left, in the run that follows
    release()
    await waiting
    expect(q.pendingBytes).toBe(600)
    release()
    await q.idle()
    expect(q.pendingBytes).toBe(0)
  })
})
