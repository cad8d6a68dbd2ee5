import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeAnnouncement, peersTopic } from '../../../src/protocols/peer-exchange/index.ts'
import { PeerAnnouncement } from '../../../src/protocols/peer-exchange/pb/peer-exchange.ts'
import { MAX_PEERS_PER_ANNOUNCEMENT } from '../../../src/protocols/peer-exchange/constants.ts'

describe('protocols - peer-exchange', () => {
  it('decodes a valid announcement', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const bytes = PeerAnnouncement.encode({ peers: [{ peerId: id, addrs: ['/ip4/127.0.0.1/tcp/4001'] }] })
    const decoded = decodeAnnouncement(bytes)
    expect(decoded?.[0].peerId.toString()).toBe(id)
    expect(decoded?.[0].addrs[0].toString()).toBe('/ip4/127.0.0.1/tcp/4001')
  })

  it('carries the sender\'s storage figures', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const decoded = decodeAnnouncement(PeerAnnouncement.encode({ peers: [{ peerId: id, addrs: [], free: 1024, held: 7 }] }))
    expect(decoded?.[0].capacity).toEqual({ free: 1024, held: 7 })
  })

  it('drops garbage, bad peer ids, bad addresses and too many peers', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    expect(decodeAnnouncement(Uint8Array.from([0xff, 0xff, 0xff]))).toBeUndefined()
    expect(decodeAnnouncement(PeerAnnouncement.encode({ peers: [{ peerId: 'nope', addrs: [] }] }))).toBeUndefined()
    expect(decodeAnnouncement(PeerAnnouncement.encode({ peers: [{ peerId: id, addrs: ['not/a/multiaddr'] }] }))).toBeUndefined()
    const many = Array.from({ length: MAX_PEERS_PER_ANNOUNCEMENT + 1 }, () => ({ peerId: id, addrs: [] }))
    expect(decodeAnnouncement(PeerAnnouncement.encode({ peers: many }))).toBeUndefined()
  })

  it('drops a view that lists a peer twice, however its id is spelled', async () => {
    const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const twice = [{ peerId: peerId.toString(), addrs: [] }, { peerId: peerId.toCID().toString(), addrs: ['/ip4/127.0.0.1/tcp/4001'] }]
    expect(decodeAnnouncement(PeerAnnouncement.encode({ peers: twice }))).toBeUndefined()
    expect(decodeAnnouncement(PeerAnnouncement.encode({ peers: twice.slice(1) }))?.[0].peerId.equals(peerId)).toBe(true)
  })

  it('versions the topic per network', () => {
    expect(peersTopic('fleet')).toBe('vguard/fleet/peers/1')
  })
})
