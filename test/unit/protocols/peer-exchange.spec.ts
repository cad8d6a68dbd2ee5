import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeAnnouncement, fitAnnouncement, peersTopic } from '../../../src/protocols/peer-exchange/index.ts'
import { PeerAnnouncement } from '../../../src/protocols/peer-exchange/pb/peer-exchange.ts'
import { MAX_ADDRS_PER_PEER, MAX_ANNOUNCEMENT_BYTES, MAX_PEERS_PER_ANNOUNCEMENT } from '../../../src/protocols/peer-exchange/constants.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

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

  describe('a view of our own fits the 64 KiB every receiver takes', () => {
    const ids = madeUpPeerIds(MAX_PEERS_PER_ANNOUNCEMENT)
    /** A vehicle's own record and 127 members', each with 8 addresses made by `addr`. */
    async function view (addr: (peer: number, i: number) => string): Promise<ReturnType<typeof fitAnnouncement>> {
      const records = (await ids).map((peerId, p) => ({ peerId, addrs: Array.from({ length: MAX_ADDRS_PER_PEER }, (_, i) => addr(p, i)) }))
      const [own, ...members] = records
      return fitAnnouncement({ ...own, free: 2 ** 40, held: 2 ** 38 }, members)
    }

    it('a small view is kept whole', async () => {
      const peers = await view((p, i) => `/ip4/10.0.${p}.${i + 1}/tcp/4001`)
      expect(peers.map(p => p.addrs.length)).toEqual(Array(MAX_PEERS_PER_ANNOUNCEMENT).fill(MAX_ADDRS_PER_PEER))
    })

    it('127 members announcing 8 DNS names each keep every member, with fewer addresses, and ours whole', async () => {
      // what identify reports of vehicles started with --announce: a depot's DNS names (73 KB untrimmed)
      const peers = await view((p, i) => `/dns4/vehicle-${String(p).padStart(4, '0')}-if${i}.depot-north.fleet.example.com/tcp/40001`)
      const bytes = PeerAnnouncement.encode({ peers })
      expect(bytes.byteLength).toBeLessThanOrEqual(MAX_ANNOUNCEMENT_BYTES)
      const decoded = decodeAnnouncement(bytes)
      expect(decoded).toHaveLength(MAX_PEERS_PER_ANNOUNCEMENT)
      expect(decoded?.[0]).toMatchObject({ addrs: { length: MAX_ADDRS_PER_PEER }, capacity: { free: 2 ** 40, held: 2 ** 38 } })
      const kept = new Set(decoded?.slice(1).map(p => p.addrs.length))
      expect(kept.size).toBe(1)
      expect([...kept][0]).toBeLessThan(MAX_ADDRS_PER_PEER)
    })

    it('members whose one address is too long for all of them to fit: as many as fit, each with one', async () => {
      const long = (p: number): string => `/dns4/${'a'.repeat(60)}-${p}.example/tcp/1`.repeat(9)
      const peers = await view((p) => long(p))
      const bytes = PeerAnnouncement.encode({ peers })
      expect(bytes.byteLength).toBeLessThanOrEqual(MAX_ANNOUNCEMENT_BYTES)
      expect(decodeAnnouncement(bytes)?.[0].addrs).toHaveLength(MAX_ADDRS_PER_PEER)
      expect(peers.slice(1).every(p => p.addrs.length === 1)).toBe(true)
      expect(peers.length).toBeLessThan(MAX_PEERS_PER_ANNOUNCEMENT)
      expect(peers.length).toBeGreaterThan(1)
    })
  })

  it('versions the topic per network', () => {
    expect(peersTopic('fleet')).toBe('vguard/fleet/peers/2')
  })
})
