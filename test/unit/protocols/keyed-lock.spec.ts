import { describe, it, expect } from 'vitest'
import { KeyedLock } from '../../../src/protocols/keyed-lock.ts'

/** A promise and the function that resolves it. */
function gate (): { promise: Promise<void>, open: () => void } {
  let open = (): void => {}
  const promise = new Promise<void>(resolve => { open = resolve })
  return { promise, open }
}

describe('protocols - KeyedLock', () => {
  it('runs the tasks of one key one at a time, in order, and of different keys side by side', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const first = gate()
    const a1 = lock.run('a', async () => { order.push('a1 start'); await first.promise; order.push('a1 end') })
    const a2 = lock.run('a', () => { order.push('a2') })
    const b1 = lock.run('b', () => { order.push('b1') })
    await b1
    expect(order).toEqual(['a1 start', 'b1'])
    first.open()
    await Promise.all([a1, a2])
    expect(order).toEqual(['a1 start', 'b1', 'a1 end', 'a2'])
  })

  it('a task that hands its turn over lets the next one run while it goes on', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const first = gate()
    const a1 = lock.run('a', async (release) => {
      order.push('a1 start')
      release()
      // released twice: nothing more happens
      release()
      await first.promise
      order.push('a1 end')
    })
    const a2 = lock.run('a', () => { order.push('a2') })
    const a3 = lock.run('a', () => { order.push('a3') })
    await Promise.all([a2, a3])
    expect(order).toEqual(['a1 start', 'a2', 'a3'])
    first.open()
    await a1
    expect(order).toEqual(['a1 start', 'a2', 'a3', 'a1 end'])
  })

  it('a failed task lets the next one run, and its caller sees its error', async () => {
    const lock = new KeyedLock()
    const failed = lock.run('a', () => { throw new Error('boom') })
    const next = lock.run('a', () => 'ran')
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe('ran')
  })
})
