import { describe, it, expect } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { PeerScore, createPeerScoreParams, defaultPeerScoreThresholds } from '@libp2p/gossipsub/score'
import { RejectReason } from '@libp2p/gossipsub/types'
import { gossipScoreParams } from '../../../src/node/gossip-score.ts'
import { boothsTopic } from '../../../src/node/booths-topic.ts'
import { peersTopic } from '../../../src/protocols/peer-exchange/index.ts'

const PEER = 'peer'
const booths = boothsTopic('fleet')
const views = peersTopic('fleet')
const { graylistThreshold, gossipThreshold } = defaultPeerScoreThresholds

/** gossipsub's own scoring with our parameters (it validates them as it would at start), one peer connected. */
function scoring (): PeerScore {
  const score = new PeerScore(createPeerScoreParams(gossipScoreParams('fleet')), null, defaultLogger(), { scoreCacheValidityMs: 0 })
  score.addPeer(PEER)
  return score
}

let msgs = 0
function reject (score: PeerScore, topic = booths): void {
  score.rejectMessage(PEER, `m${msgs++}`, topic, RejectReason.Reject)
}

/** Seconds of decay (one decayInterval each) until the score is at least `floor`. */
function secondsUntil (score: PeerScore, floor: number): number {
  let s = 0
  while (score.score(PEER) < floor) {
    score.refreshScores()
    s++
  }
  return s
}

describe('node - gossip-score', () => {
  it('scores both topics of the network, and no one for sharing an IP', () => {
    const params = createPeerScoreParams(gossipScoreParams('fleet'))
    expect(Object.keys(params.topics).sort()).toEqual([booths, views].sort())
    expect(params.IPColocationFactorWeight).toBe(0)
  })

  it('3 rejected messages on a topic within ~10 s graylist a sender, 2 do not', () => {
    const two = scoring()
    reject(two)
    reject(two)
    expect(two.score(PEER)).toBeLessThan(gossipThreshold)
    expect(two.score(PEER)).toBeGreaterThanOrEqual(graylistThreshold)
    const three = scoring()
    reject(three)
    for (let s = 0; s < 5; s++) three.refreshScores()
    reject(three)
    for (let s = 0; s < 5; s++) three.refreshScores()
    reject(three)
    expect(three.score(PEER)).toBeLessThan(graylistThreshold)
  })

  it('a graylisted sender comes back in seconds after 3, ~30 s for each one more, and to 0 within ~6 min', () => {
    const three = scoring()
    for (let i = 0; i < 3; i++) reject(three)
    expect(secondsUntil(three, graylistThreshold)).toBeLessThanOrEqual(6)
    const four = scoring()
    for (let i = 0; i < 4; i++) reject(four)
    expect(secondsUntil(four, graylistThreshold)).toBeGreaterThanOrEqual(25)
    expect(secondsUntil(four, 0)).toBeLessThanOrEqual(6 * 60)
  })

  it('ignored messages, and a quiet peer long in the mesh, cost nothing', () => {
    const score = scoring()
    for (let i = 0; i < 10; i++) score.rejectMessage(PEER, `ignored${i}`, views, RejectReason.Ignore)
    for (const topic of [booths, views]) score.graft(PEER, topic)
    // in the mesh for a minute without delivering anything: mesh delivery deficits (P3) would apply by now
    for (const topic of [booths, views]) (score.peerStats.get(PEER)?.topics[topic] as { graftTime: number }).graftTime -= 60_000
    score.refreshScores()
    expect(score.score(PEER)).toBe(0)
    for (const topic of [booths, views]) score.prune(PEER, topic)
    score.refreshScores()
    expect(score.score(PEER)).toBe(0)
  })
})
