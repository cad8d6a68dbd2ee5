import { describe, it, expect, vi } from 'vitest'
import { CapacityNews } from '../../../src/node/capacity-news.ts'
import { waitFor } from '../../utils/wait.ts'

/** A CapacityNews over a figure and a clock the test sets. */
function harness (capacity = 800): { news: CapacityNews, announced: () => number, set: (free: number) => void, asked: () => number, tick: (ms: number) => void } {
  let free = capacity
  let announcements = 0
  let asks = 0
  let now = 0
  const news = new CapacityNews({
    free: async () => { asks++; return free },
    capacity,
    announce: () => { announcements++ },
    interval: 1_000,
    now: () => now
  })
  return { news, announced: () => announcements, set: f => { free = f }, asked: () => asks, tick: ms => { now += ms } }
}

describe('node - capacity news after commits', () => {
  it('announces once the free room moved by an eighth of the capacity since it was advertised', async () => {
    const h = harness()
    h.news.advertise(800)
    h.set(750)
    await h.news.grew()
    expect(h.announced()).toBe(0)
    h.tick(1_000)
    h.set(700)
    await h.news.grew()
    expect(h.announced()).toBe(1)
  })

  it('announces reaching zero (and leaving it), however small the move', async () => {
    const h = harness()
    h.news.advertise(10)
    h.set(0)
    await h.news.grew()
    expect(h.announced()).toBe(1)
    h.news.advertise(0)
    h.tick(1_000)
    h.set(5)
    await h.news.grew()
    expect(h.announced()).toBe(2)
  })

  it('works the figure out at most once per interval, and says nothing before anything was advertised', async () => {
    const h = harness()
    h.set(0)
    await h.news.grew()
    expect(h.announced()).toBe(0)
    h.news.advertise(800)
    await Promise.all([h.news.grew(), h.news.grew()])
    h.tick(999)
    await h.news.grew()
    expect(h.asked()).toBe(1)
    h.tick(1)
    await h.news.grew()
    expect(h.asked()).toBe(2)
    expect(h.announced()).toBe(1)
    h.news.stop()
  })

  it('checks the commits of a burst once the interval after the last check is over (they were forgotten)', async () => {
    let free = 800
    let asks = 0
    let announcements = 0
    // the node's clock, moved by hand: on a loaded machine 20 ms of the real one passed between two
    // calls of the burst, and the second was checked at once (a flake, 2026-12-03)
    let clock = 0
    const news = new CapacityNews({ free: async () => { asks++; return free }, capacity: 800, announce: () => { announcements++ }, interval: 20, now: () => clock })
    news.advertise(800)
    await news.grew()
    expect(asks).toBe(1)
    // the burst goes on within the interval, and crosses the line
    free = 0
    clock = 5
    await news.grew()
    clock = 10
    await news.grew()
    expect(asks).toBe(1)
    // the interval over, the check put off runs
    clock = 25
    await waitFor(() => announcements === 1, { message: 'the put-off check to announce' })
    expect(asks).toBe(2)
    news.stop()
  })

  it('a commit that comes while a slow check runs past the interval is checked once that check ends, by no timer meanwhile', async () => {
    // a timer armed then fired every millisecond, each firing finding the check still under way, until it ended
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let clock = 0
      let asks = 0
      let announcements = 0
      let finish: (free: number) => void = () => {}
      const news = new CapacityNews({
        capacity: 800,
        interval: 1_000,
        announce: () => { announcements++ },
        now: () => clock,
        // the first check is slow (a loaded disk); by the next one the room is gone
        free: async () => ++asks === 1 ? await new Promise<number>(resolve => { finish = resolve }) : 0
      })
      news.advertise(800)
      const first = news.grew()
      clock = 1_500
      await news.grew()
      await vi.advanceTimersByTimeAsync(300)
      expect(vi.getTimerCount()).toBe(0)
      finish(800)
      await first
      expect(announcements).toBe(0)
      // the commit that came meanwhile is checked after it, once
      await vi.advanceTimersByTimeAsync(1)
      expect(asks).toBe(2)
      expect(announcements).toBe(1)
      expect(vi.getTimerCount()).toBe(0)
      news.stop()
    } finally {
      vi.useRealTimers()
    }
  })
})
