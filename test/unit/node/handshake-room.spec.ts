import { describe, it, expect } from 'vitest'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrConnection } from '@libp2p/interface'
import { HandshakeRoom, HandshakeLimitError, handshakeHost } from '../../../src/node/handshake-room.ts'

/** The inbound end of an in-memory raw connection from `ip` (its other end is the dialler's). */
function inbound (ip = '10.0.0.1', port = 4001): MultiaddrConnection {
  const family = ip.includes(':') ? 'ip6' : 'ip4'
  const [, conn] = multiaddrConnectionPair({ inbound: { remoteAddr: multiaddr(`/${family}/${ip}/tcp/${port}`) } })
  return conn
}

/** Resolves once `conn` has said it closed (a raw connection says so on a later tick). */
async function closed (conn: MultiaddrConnection): Promise<void> {
  if (conn.status === 'closed' || conn.status === 'aborted' || conn.status === 'reset') {
    await new Promise(resolve => setImmediate(resolve))
    return
  }
  await new Promise(resolve => conn.addEventListener('close', resolve, { once: true }))
}

describe('node - handshake room', () => {
  it('lets an upgraded handshake go, once: its connection closing later counts nothing again', async () => {
    const room = new HandshakeRoom({ perHost: 2, total: 4 })
    const a = inbound()
    const b = inbound()
    room.admit(a)
    room.admit(b)
    // admitting one twice (libp2p never does) holds it once
    room.admit(a)
    expect(room.size).toBe(2)
    // the upgraded connection shares the raw one's timeline, not its identity
    room.upgraded({ timeline: a.timeline })
    room.upgraded({ timeline: a.timeline })
    expect(room.size).toBe(1)
    a.abort(new Error('peer went away'))
    await closed(a)
    expect(room.size).toBe(1)
    expect(room.waitingFrom(a.remoteAddr)).toBe(1)
    // a connection we dialled was never held: nothing to let go
    room.upgraded({ timeline: inbound().timeline })
    expect(room.size).toBe(1)
    await b.close()
    await closed(b)
    expect(room.size).toBe(0)
    expect(room.waitingFrom(b.remoteAddr)).toBe(0)
    expect(room.closed()).toEqual({ host: 0, total: 0 })
  })

  it('lets a failed or timed-out handshake go when its connection closes', async () => {
    const room = new HandshakeRoom({ perHost: 4, total: 8 })
    const failed = inbound()
    const timedOut = inbound()
    room.admit(failed)
    room.admit(timedOut)
    // what libp2p's TCP listener does when an upgrade throws (a bad handshake, its 10 s timeout)
    failed.abort(new Error('EncryptionFailedError'))
    timedOut.abort(new DOMException('The operation timed out', 'TimeoutError'))
    await Promise.all([closed(failed), closed(timedOut)])
    expect(room.size).toBe(0)
    // one that closed before the gater saw it is not held (it would never say it closed)
    const gone = inbound()
    gone.abort(new Error('reset'))
    await closed(gone)
    room.admit(gone)
    expect(room.size).toBe(0)
  })

  it('makes way for a new handshake by closing the oldest of its host, and leaves other hosts alone', async () => {
    const room = new HandshakeRoom({ perHost: 2, total: 10 })
    const other = inbound('10.0.0.9')
    const [first, second, third] = [inbound(), inbound(), inbound()]
    room.admit(first)
    room.admit(other)
    room.admit(second)
    let why: unknown
    first.addEventListener('close', (evt) => { why = (evt as Event & { error?: unknown }).error }, { once: true })
    room.admit(third)
    await closed(first)
    expect(first.status).toBe('aborted')
    expect(why).toBeInstanceOf(HandshakeLimitError)
    expect([second, third, other].map(c => c.status)).toEqual(['open', 'open', 'open'])
    expect(room.waitingFrom(third.remoteAddr)).toBe(2)
    expect(room.size).toBe(3)
    expect(room.closed()).toEqual({ host: 1, total: 0 })
  })

  it('closes the oldest of all once all hosts together hold the total', async () => {
    const room = new HandshakeRoom({ perHost: 2, total: 3 })
    const conns = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(ip => inbound(ip))
    for (const c of conns) room.admit(c)
    await closed(conns[0])
    expect(conns.map(c => c.status)).toEqual(['aborted', 'open', 'open', 'open'])
    expect(room.size).toBe(3)
    expect(room.closed()).toEqual({ host: 0, total: 1 })
    // every count goes back to nothing: none leaks, none below zero
    for (const c of conns.slice(1)) c.abort(new Error('done'))
    await Promise.all(conns.map(closed))
    expect(room.size).toBe(0)
    for (const c of conns) expect(room.waitingFrom(c.remoteAddr)).toBe(0)
  })

  it('lets a handshake whose end went unheard go without closing it, so a newcomer never closes a connection that is through', async () => {
    let now = 1_000
    const room = new HandshakeRoom({ perHost: 2, total: 10, heldAtMostMs: 15_000, now: () => now })
    // an upgrade whose connection:open did not share the raw connection's timeline: held on
    const upgradedUnheard = inbound()
    room.admit(upgradedUnheard)
    now += 5_000
    const idle = inbound()
    room.admit(idle)
    now += 10_000
    // 15 s on, past libp2p's own 10 s wait: the unheard one is let go, open, and makes room
    expect(room.size).toBe(1)
    expect(room.forgotten()).toBe(1)
    const newcomer = inbound()
    room.admit(newcomer)
    expect(upgradedUnheard.status).toBe('open')
    expect(room.waitingFrom(idle.remoteAddr)).toBe(2)
    expect(room.closed()).toEqual({ host: 0, total: 0 })
    // one more from the host closes the oldest still within the wait, as before
    room.admit(inbound())
    await closed(idle)
    expect(idle.status).toBe('aborted')
    expect(room.closed()).toEqual({ host: 1, total: 0 })
    expect(room.forgotten()).toBe(1)
    // and a forgotten one that closes later counts nothing again
    upgradedUnheard.abort(new Error('gone'))
    await closed(upgradedUnheard)
    expect(room.size).toBe(2)
  })

  it('refuses limits that make no sense', () => {
    expect(() => new HandshakeRoom({ heldAtMostMs: 0 })).toThrow(RangeError)
    expect(() => new HandshakeRoom({ perHost: 0 })).toThrow(RangeError)
    expect(() => new HandshakeRoom({ perHost: 5, total: 4 })).toThrow(RangeError)
    expect(() => new HandshakeRoom({ perHost: 1.5 })).toThrow(RangeError)
  })

  it('counts an IPv4 address, or an IPv6 /64, as one host', () => {
    expect(handshakeHost(multiaddr('/ip4/192.168.1.7/tcp/1'))).toBe('192.168.1.7')
    expect(handshakeHost(multiaddr('/ip6/2001:db8:1:2:aaaa::1/tcp/1'))).toBe('2001:db8:1:2::/64')
    expect(handshakeHost(multiaddr('/ip6/2001:0db8:0001:0002:ffff:0:0:9/tcp/1'))).toBe('2001:db8:1:2::/64')
    expect(handshakeHost(multiaddr('/ip6/2001:db8::1/tcp/1'))).toBe('2001:db8:0:0::/64')
    expect(handshakeHost(multiaddr('/ip6/::1/tcp/1'))).toBe('0:0:0:0::/64')
    expect(handshakeHost(multiaddr('/ip6/::ffff:10.1.2.3/tcp/1'))).toBe('10.1.2.3')
  })
})
