/**
 * What goes wrong with a bootstrap address (BootstrapPeers.failed): said once
 * until a dial of it works, not while the node stops or is connected to the
 * peer after all, and in the operator's words for a peer we refused.
 */
import { describe, it, expect } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger, PeerId } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'
import { BootstrapPeers } from '../../../src/node/bootstrap-peers.ts'
import { DeniedPeers } from '../../../src/node/denied-peers.ts'
import type { VGuardLibp2p } from '../../../src/node/libp2p.ts'
import type { VGuardNodeEvents } from '../../../src/node/events.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

interface Made {
  bootstrap: BootstrapPeers
  /** peer:bootstrap-failed details, in order. */
  said: unknown[]
  /** Log lines: the format and its arguments. */
  logged: unknown[][]
  connected: Set<string>
  refused: Set<string>
  running: { now: boolean }
}

async function made (): Promise<Made & { self: string }> {
  const [self] = await madeUpPeerIds(1)
  const m: Made = { said: [], logged: [], connected: new Set(), refused: new Set(), running: { now: true }, bootstrap: undefined as unknown as BootstrapPeers }
  const libp2p = {
    peerId: peerIdFromString(self),
    getConnections: (peer: PeerId) => m.connected.has(peer.toString()) ? [{}] : []
  } as unknown as VGuardLibp2p
  const events = { safeDispatchEvent: (type: string, { detail }: { detail: unknown }) => { if (type === 'peer:bootstrap-failed') m.said.push(detail) } } as unknown as TypedEventEmitter<VGuardNodeEvents>
  const log = Object.assign((...args: unknown[]) => { m.logged.push(args) }, { error: () => {}, trace: () => {}, enabled: true }) as unknown as Logger
  m.bootstrap = new BootstrapPeers({
    libp2p,
    addresses: [],
    denied: new DeniedPeers({ maxDenied: 16, deniedFor: 60_000, reconnectInterval: 1_000 }),
    isDenied: (peerId) => m.refused.has(peerId.toString()),
    running: () => m.running.now,
    lonely: () => false,
    dial: () => {},
    events: () => events,
    log
  })
  return { ...m, self }
}

describe('node - bootstrap peers', () => {
  it('says a failed address once, and again only after a dial of it worked', async () => {
    const m = await made()
    const [peer] = await madeUpPeerIds(1)
    const address = `/ip4/127.0.0.1/tcp/4001/p2p/${peer}`
    m.bootstrap.failed(address, 'connection refused')
    m.bootstrap.failed(address, 'connection refused')
    expect(m.said).toEqual([{ address, error: 'connection refused' }])
    expect(m.logged).toEqual([['bootstrap %s %s: %s', address, 'unreachable', 'connection refused']])
    m.bootstrap.reached(address)
    m.bootstrap.failed(address, 'timed out')
    expect(m.said).toEqual([{ address, error: 'connection refused' }, { address, error: 'timed out' }])
    // another address is its own
    m.bootstrap.failed('/dns4/swarm.example/tcp/4001', 'no such host')
    expect(m.said).toHaveLength(3)
  })

  it('says nothing once stopped, nor of a peer connected after all (its dial lost to the peer\'s)', async () => {
    const m = await made()
    const [peer] = await madeUpPeerIds(1)
    const address = `/ip4/127.0.0.1/tcp/4001/p2p/${peer}`
    m.running.now = false
    m.bootstrap.failed(address, 'aborted')
    m.running.now = true
    m.connected.add(peer)
    m.bootstrap.failed(address, 'dial crossed')
    expect(m.said).toEqual([])
    // neither was said, so the next failure is
    m.connected.clear()
    m.bootstrap.failed(address, 'connection refused')
    expect(m.said).toEqual([{ address, error: 'connection refused' }])
  })

  it('a peer we refused is said refused, in the operator\'s words; one that refused us keeps its own', async () => {
    const m = await made()
    const [other, strict] = await madeUpPeerIds(2)
    m.refused.add(other)
    const otherAddress = `/ip4/127.0.0.1/tcp/4001/p2p/${other}`
    m.bootstrap.failed(otherAddress, 'the connection gater refused the dial')
    const words = 'not a peer of this network: another network, or not on the allow list (see the peer rejected line)'
    expect(m.said).toEqual([{ address: otherAddress, error: words, refused: true }])
    expect(m.logged).toEqual([['bootstrap %s %s: %s', otherAddress, 'refused', words]])
    const strictAddress = `/ip4/127.0.0.1/tcp/4002/p2p/${strict}`
    m.bootstrap.failed(strictAddress, 'it hung up', true)
    expect(m.said[1]).toEqual({ address: strictAddress, error: 'it hung up', refused: true })
    // our own address is never a refused peer, whatever isDenied says of it
    m.refused.add(m.self)
    const ownAddress = `/ip4/127.0.0.1/tcp/4003/p2p/${m.self}`
    m.bootstrap.failed(ownAddress, 'it is this node\'s own address')
    expect(m.said[2]).toEqual({ address: ownAddress, error: 'it is this node\'s own address' })
  })
})
