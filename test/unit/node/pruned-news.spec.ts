import { describe, it, expect } from 'vitest'
import { TypedEventEmitter } from '@libp2p/interface'
import { prunedNews } from '../../../src/node/pruned-news.ts'
import type { StoragePrunedDetail, VGuardNodeEvents } from '../../../src/node/events.ts'
import type { RetentionReport } from '../../../src/storage/retention.ts'

const report = (over: Partial<RetentionReport>): RetentionReport => ({ pruned: {}, freedBytes: 0, payloadBytes: 0, overBound: false, failed: {}, ...over })

describe('node - storage:pruned news', () => {
  function told (): { tell: ReturnType<typeof prunedNews>, said: StoragePrunedDetail[] } {
    const events = new TypedEventEmitter<VGuardNodeEvents>()
    const said: StoragePrunedDetail[] = []
    events.addEventListener('storage:pruned', (evt) => { said.push(evt.detail) })
    return { tell: prunedNews(events, () => {}), said }
  }

  it('says over bound once, run after run', () => {
    const { tell, said } = told()
    tell(report({ overBound: true }), false)
    tell(report({ overBound: true }), false)
    expect(said).toEqual([{ freedBytes: 0, chains: [], overBound: true, reason: 'policy', failed: [] }])
  })

  // a run for room prunes below the bounds for an offer: whether it could is no news of the bounds,
  // which /status storage.overBound has from the periodic runs. Its overBound was taken as theirs:
  // a room event said overBound, and the periodic run over its bound after it went untold (a review, 2026-12-03)
  it('a room run neither says nor settles the bound: the periodic runs do', () => {
    const { tell, said } = told()
    tell(report({ overBound: true, freedBytes: 10, pruned: { a: [1] } }), true)
    expect(said).toEqual([{ freedBytes: 10, chains: [{ chainId: 'a', blocks: 1 }], overBound: false, reason: 'room', failed: [] }])
    // the first periodic run over its bound is news
    tell(report({ overBound: true }), false)
    expect(said.slice(1)).toEqual([{ freedBytes: 0, chains: [], overBound: true, reason: 'policy', failed: [] }])
    // a room run meanwhile says the bound as the periodic runs found it, and is no news by itself
    tell(report({ overBound: false }), true)
    tell(report({ overBound: false, freedBytes: 5, pruned: { b: [2] } }), true)
    expect(said.slice(2)).toEqual([{ freedBytes: 5, chains: [{ chainId: 'b', blocks: 1 }], overBound: true, reason: 'room', failed: [] }])
    // still over: no news
    tell(report({ overBound: true }), false)
    expect(said).toHaveLength(3)
  })
})
