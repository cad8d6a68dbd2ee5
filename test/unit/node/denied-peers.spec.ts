/**
 * The peering's refused-peer bookkeeping (DeniedPeers): a peer off the allow
 * list that redials every few seconds is one refusal a minute, timed on a
 * monotonic clock, as every other span the peering keeps.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { DeniedPeers } from '../../../src/node/denied-peers.ts'
import { steppingWallClock } from '../../utils/wall-clock.ts'

const HOUR = 3_600_000

describe('node - denied peers', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it('says a peer off the allow list once a minute, whatever the wall clock does meanwhile', () => {
    const denied = new DeniedPeers({ maxDenied: 16, deniedFor: 60_000, reconnectInterval: 1_000 })
    const step = steppingWallClock()
    expect(denied.notAllowed('peer-a')).toBe(true)
    expect(denied.notAllowed('peer-a')).toBe(false)
    // a step forward (NTP, GPS time) is no minute gone: the redial a moment later is the same refusal
    step(HOUR)
    expect(denied.notAllowed('peer-a')).toBe(false)
    step(-HOUR)
    expect(denied.notAllowed('peer-a')).toBe(false)
    expect(denied.notAllowed('peer-b')).toBe(true)
    expect(denied.counts()['not-allowed']).toBe(2)
  })
})
