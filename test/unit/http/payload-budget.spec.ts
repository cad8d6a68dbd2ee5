import { describe, it, expect } from 'vitest'
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { PayloadBudget, Reservation } from '../../../src/http/payload-budget.ts'

/** A response that only says when it closes. */
function response (): ServerResponse & { close: () => void } {
  const emitter = new EventEmitter()
  return Object.assign(emitter, { close: () => { emitter.emit('close') } }) as unknown as ServerResponse & { close: () => void }
}

describe('http - payload budget', () => {
  it('lends bytes while there are some, makes the rest wait in turn, and gets them back when the response closes', async () => {
    const budget = new PayloadBudget(10, 1_000)
    const first = response()
    const a = new Reservation(budget, first)
    expect(a.tryTake(6)).toBe(true)
    expect(a.tryTake(6)).toBe(false)
    // nothing to carry takes nothing
    expect(a.tryTake(0)).toBe(true)
    const second = response()
    const waiting = new Reservation(budget, second).take(8)
    let done = false
    void waiting.then(() => { done = true })
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(done).toBe(false)
    // a waiter goes first: a small take now would overtake it
    expect(budget.tryTake(1)).toBe(false)
    first.close()
    await waiting
    expect(budget.available).toBe(2)
    second.close()
    expect(budget.available).toBe(10)
  })

  it('refuses as busy after the wait, and a read larger than the whole budget takes all of it', async () => {
    const budget = new PayloadBudget(10, 50)
    const holder = response()
    await new Reservation(budget, holder).take(100)
    expect(budget.available).toBe(0)
    await expect(new Reservation(budget, response()).take(1)).rejects.toMatchObject({ name: 'UnavailableError' })
    holder.close()
    expect(budget.available).toBe(10)
  })

  it('a client gone while its read waited gives back what it then got', async () => {
    const budget = new PayloadBudget(10, 1_000)
    const holder = response()
    await new Reservation(budget, holder).take(10)
    const gone = response()
    const waiting = new Reservation(budget, gone).take(5)
    gone.close()
    holder.close()
    await waiting
    expect(budget.available).toBe(10)
  })

  it('holds nothing for a response whose client was gone before the read was done', async () => {
    const budget = new PayloadBudget(10, 1_000)
    const gone = Object.assign(response(), { closed: true })
    await new Reservation(budget, gone).take(6)
    expect(budget.available).toBe(10)
  })
})
