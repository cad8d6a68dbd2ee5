/**
 * The peers the peering heard of and has not met yet (DiscoveredPeers): a
 * bounded list, the few dial slots they share, and which of them the
 * reconnect loop dials again, for how long.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { DiscoveredPeers, MAX_DISCOVERED, MAX_DISCOVERY_DIALS } from '../../../src/node/discovered-peers.ts'

/** DISCOVERED_RETRY_AFTER: a new discovery's own dial is left alone this long. */
const RETRY_AFTER = 5_000

/** Runs what follows as if performance.now() said `at`. */
function clockAt (at: number): void {
  vi.spyOn(performance, 'now').mockReturnValue(at)
}

describe('node - discovered peers', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it('remembers peers up to its bound (MAX_DISCOVERED unless told less); one known already is still remembered past it', () => {
    const peers = new DiscoveredPeers()
    for (let i = 0; i < MAX_DISCOVERED; i++) expect(peers.remember(`peer-${i}`)).toBe(true)
    expect(peers.remember('one-too-many')).toBe(false)
    expect(peers.has('one-too-many')).toBe(false)
    expect(peers.size).toBe(MAX_DISCOVERED)
    expect(peers.remember('peer-0')).toBe(true)
    // a lower limit (what views may fill) leaves the rest of the room to others
    const few = new DiscoveredPeers()
    expect([few.remember('a', 2), few.remember('b', 2), few.remember('c', 2), few.remember('c')]).toEqual([true, true, false, true])
    expect(few.size).toBe(3)
    // one met leaves room
    few.forget('a')
    expect(few.has('a')).toBe(false)
    expect([few.remember('d', 2), few.remember('d', 3)]).toEqual([false, true])
  })

  it('gives out MAX_DISCOVERY_DIALS dial slots at once; an ended dial frees one', () => {
    const peers = new DiscoveredPeers()
    for (let i = 0; i <= MAX_DISCOVERY_DIALS; i++) peers.remember(`peer-${i}`)
    for (let i = 0; i < MAX_DISCOVERY_DIALS; i++) expect(peers.takeDialSlot(`peer-${i}`), `slot ${i}`).toBe(true)
    expect(peers.takeDialSlot(`peer-${MAX_DISCOVERY_DIALS}`)).toBe(false)
    peers.freeDialSlot()
    expect(peers.takeDialSlot(`peer-${MAX_DISCOVERY_DIALS}`)).toBe(true)
    expect(peers.takeDialSlot('peer-0')).toBe(false)
  })

  it('the reconnect loop redials a peer once its own dial had time, the one dialled longest ago first', () => {
    const peers = new DiscoveredPeers()
    clockAt(1_000)
    peers.remember('a')
    peers.remember('b')
    clockAt(2_000)
    peers.remember('c')
    expect([...peers.due(1_000 + RETRY_AFTER - 1)]).toEqual([])
    expect([...peers.due(1_000 + RETRY_AFTER)]).toEqual(['a', 'b'])
    expect([...peers.due(2_000 + RETRY_AFTER)]).toEqual(['a', 'b', 'c'])
    // a dial sends it to the back of the line
    peers.takeDialSlot('a')
    peers.freeDialSlot()
    expect([...peers.due(2_000 + RETRY_AFTER)]).toEqual(['b', 'c', 'a'])
  })

  it('gives a peer up once its retry window ran out from its first dial, never one not dialled yet', () => {
    const window = 60_000
    const peers = new DiscoveredPeers(window)
    clockAt(0)
    peers.remember('dialled')
    peers.remember('waiting')
    clockAt(10_000)
    peers.takeDialSlot('dialled')
    peers.freeDialSlot()
    // a later dial does not move its window
    clockAt(50_000)
    peers.takeDialSlot('dialled')
    peers.freeDialSlot()
    expect([...peers.due(10_000 + window)]).toEqual(['waiting', 'dialled'])
    expect([...peers.due(10_000 + window + 1)]).toEqual(['waiting'])
    expect(peers.has('dialled')).toBe(false)
    // heard of long ago, and waiting for a dial slot all that time: still retried
    expect([...peers.due(10 * window)]).toEqual(['waiting'])
    expect(peers.has('waiting')).toBe(true)
  })
})
