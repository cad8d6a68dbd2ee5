/**
 * Keeps inbound handshakes from locking a node's inbound connections out.
 * libp2p counts an inbound connection as pending from TCP accept until its
 * Noise and yamux upgrade ends, waits up to 10 s for it, and refuses every
 * inbound connection, members' too, while maxIncomingPendingConnections are
 * pending: 100 plain sockets that connected and sent nothing held a node shut
 * for 10 s (a test), for good at 10 new sockets a second.
 *
 * Here a handshake is held from the gater's denyInboundConnection (right
 * after libp2p counted it) until it is upgraded (the connection:open event,
 * whose connection shares the raw connection's timeline object) or its raw
 * connection closes (failed, timed out, refused later by the gater, or
 * closed by us), whichever comes first: each releases it once, so no count
 * outlives its connection. When a remote host already has
 * MAX_HANDSHAKES_PER_HOST waiting, or all hosts MAX_HANDSHAKES, the OLDEST
 * waiting handshake (of that host, or of all) is closed to make way for the
 * new one, never the new one refused: an honest handshake ends in
 * milliseconds, so the oldest is almost always a socket that sends nothing.
 * Refusing the newcomer instead would let idle sockets from a host that
 * vehicles share (127.0.0.1 on one host, a docker bridge gateway in front of
 * published ports) shut the vehicles on it out just as libp2p's own limit
 * did. To push out an honest handshake an attacker has to open
 * MAX_HANDSHAKES_PER_HOST sockets (MAX_HANDSHAKES from many hosts) while it
 * runs, not 100 every 10 s; one on an address of its own cannot touch
 * handshakes from other addresses at all.
 */
import type { ComponentLogger, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Handshakes one remote host may have waiting at once before its oldest is
 * closed. Vehicles dial each other when they start: with all of a fleet on
 * one host (17 in the swarm tests, dozens in the docs' examples) a node gets
 * one dial from each of the others, two or three while crossed dials and
 * redials settle, so 64 keeps a fleet of twenty-odd vehicles on one host
 * from ever closing one of its own handshakes, and a bigger one that does
 * only has that vehicle dial again.
 */
export const MAX_HANDSHAKES_PER_HOST = 64

/**
 * Handshakes waiting at once from all hosts before the oldest is closed:
 * four hosts' worth. libp2p's own cap (maxIncomingPendingConnections in
 * libp2p.ts) is twice this, so it is never what refuses a connection: a
 * closed handshake leaves libp2p's count a moment later, when its upgrade
 * unwinds, and a burst of accepts in between must not reach it.
 */
export const MAX_HANDSHAKES = 4 * MAX_HANDSHAKES_PER_HOST

/**
 * How long a handshake is held at most. libp2p aborts an inbound upgrade
 * after 10 s (its inboundUpgradeTimeout, which libp2p.ts leaves at the
 * default), and the abort closes the raw connection, which releases it here;
 * one still held 5 s after that ended in a way this room never heard of: an
 * upgrade whose connection:open did not carry the raw connection's timeline
 * (a libp2p internal this room relies on). Such an entry is let go WITHOUT
 * closing its connection, which may be an established one: closing it as
 * "the oldest handshake" would hang up on a member.
 */
export const HANDSHAKE_HELD_AT_MOST_MS = 15_000

/** Which limit made a handshake close. */
export type HandshakeLimit = 'host' | 'total'

/** An inbound handshake closed to make way for a newer one (see HandshakeRoom). */
export class HandshakeLimitError extends Error {
  static name = 'HandshakeLimitError'
  constructor (message = 'inbound handshake closed to make way for a newer one') {
    super(message)
    this.name = 'HandshakeLimitError'
  }
}

/** The bits of an IPv6 address a single host is taken to control: a /64 is one subnet, handed out whole. */
const IPV6_HOST_GROUPS = 4

/** The two 16-bit groups a dotted IPv4 address stands for inside an IPv6 one. */
function ipv4Groups (dotted: string): number[] {
  const [a, b, c, d] = dotted.split('.').map(Number)
  return [(a << 8) | b, (c << 8) | d]
}

/**
 * The remote host a handshake counts against: the IPv4 address, or the
 * IPv6 /64 (a host with one usually has all of it, 2^64 addresses to dial
 * from), IPv4-mapped IPv6 as IPv4. Anything else (no IP) is one host.
 */
export function handshakeHost (addr: Multiaddr): string {
  const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  if (ip?.value == null) return 'other'
  if (ip.name === 'ip4') return ip.value
  const address = ip.value.split('%')[0].toLowerCase()
  const groupsOf = (part: string): number[] => part === '' ? [] : part.split(':').flatMap(g => g.includes('.') ? ipv4Groups(g) : [parseInt(g, 16)])
  const [head, tail] = address.split('::')
  const front = groupsOf(head)
  const back = tail == null ? [] : groupsOf(tail)
  const groups = tail == null ? front : [...front, ...Array<number>(Math.max(0, 8 - front.length - back.length)).fill(0), ...back]
  // IPv4-mapped (::ffff:a.b.c.d, which multiaddr writes in hex)
  if (groups.length === 8 && groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')
  }
  return `${groups.slice(0, IPV6_HOST_GROUPS).map(g => g.toString(16)).join(':')}::/64`
}

export interface HandshakeRoomInit {
  /** @default MAX_HANDSHAKES_PER_HOST */
  perHost?: number
  /** @default MAX_HANDSHAKES */
  total?: number
  /** @default HANDSHAKE_HELD_AT_MOST_MS */
  heldAtMostMs?: number
  /** The clock in ms, for tests. @default Date.now */
  now?: () => number
  logger?: ComponentLogger
}

interface Waiting {
  host: string
  conn: MultiaddrConnection
  since: number
}

/** The inbound handshakes a node is waiting on, by remote host, oldest first. */
export class HandshakeRoom {
  private readonly perHost: number
  private readonly total: number
  private readonly log?: Logger
  // keyed by the raw connection's timeline: the upgraded connection shares that object
  private readonly waiting = new Map<object, Waiting>()
  private readonly byHost = new Map<string, Set<object>>()
  private readonly closedFor: Record<HandshakeLimit, number> = { host: 0, total: 0 }
  private readonly heldAtMostMs: number
  private readonly now: () => number
  private forgottenCount = 0

  constructor (init: HandshakeRoomInit = {}) {
    this.perHost = init.perHost ?? MAX_HANDSHAKES_PER_HOST
    this.total = init.total ?? MAX_HANDSHAKES
    this.heldAtMostMs = init.heldAtMostMs ?? HANDSHAKE_HELD_AT_MOST_MS
    this.now = init.now ?? Date.now
    if (!Number.isSafeInteger(this.perHost) || this.perHost < 1 || !Number.isSafeInteger(this.total) || this.total < this.perHost) {
      throw new RangeError(`handshake limits: expected integers 1 <= perHost <= total, got perHost ${this.perHost}, total ${this.total}`)
    }
    if (!(this.heldAtMostMs > 0)) throw new RangeError(`handshake limits: expected heldAtMostMs > 0, got ${this.heldAtMostMs}`)
    this.log = init.logger?.forComponent('vguard:handshakes')
  }

  /** Holds an inbound handshake libp2p has just counted, closing the oldest one in its way. */
  admit (conn: MultiaddrConnection): void {
    // one already closed would never say so again: holding it would leak its place
    if (conn.status !== 'open' || this.waiting.has(conn.timeline)) return
    this.forgetOverdue()
    const host = handshakeHost(conn.remoteAddr)
    const same = this.byHost.get(host)
    if (same != null && same.size >= this.perHost) {
      this.closeOldest(same.values().next().value, 'host')
    } else if (this.waiting.size >= this.total) {
      this.closeOldest(this.waiting.keys().next().value, 'total')
    }
    const key = conn.timeline
    this.waiting.set(key, { host, conn, since: this.now() })
    if (same != null) same.add(key)
    else this.byHost.set(host, new Set([key]))
    conn.addEventListener('close', () => { this.release(key) }, { once: true })
  }

  /** A connection was upgraded: its handshake, if it was an inbound one held here, is over. */
  upgraded (connection: { timeline: object }): void {
    this.release(connection.timeline)
  }

  /** Handshakes waiting now. */
  get size (): number {
    this.forgetOverdue()
    return this.waiting.size
  }

  /** Handshakes waiting now from the host of `addr`. */
  waitingFrom (addr: Multiaddr): number {
    this.forgetOverdue()
    return this.byHost.get(handshakeHost(addr))?.size ?? 0
  }

  /** Handshakes closed so far to make way for newer ones, by the limit that was full. */
  closed (): Record<HandshakeLimit, number> {
    return { ...this.closedFor }
  }

  /** Handshakes let go unclosed, held past heldAtMostMs: anything but 0 means the end of an upgrade went unheard. */
  forgotten (): number {
    this.forgetOverdue()
    return this.forgottenCount
  }

  /** Lets go, without closing them, the handshakes held longer than libp2p itself waits (HANDSHAKE_HELD_AT_MOST_MS). */
  private forgetOverdue (): void {
    const now = this.now()
    // held oldest first: the first one not overdue ends the sweep
    for (const [key, entry] of this.waiting) {
      if (now - entry.since < this.heldAtMostMs) return
      this.release(key)
      this.forgottenCount++
      this.log?.('let the handshake from %a go unclosed after %d ms: its end went unheard (a connection upgraded without its timeline?)', entry.conn.remoteAddr, now - entry.since)
    }
  }

  private closeOldest (key: object | undefined, limit: HandshakeLimit): void {
    const oldest = key == null ? undefined : this.waiting.get(key)
    if (key == null || oldest == null) return
    this.release(key)
    this.closedFor[limit]++
    this.log?.('closed the handshake from %a after %d ms: %s handshakes waiting (%d from %s)', oldest.conn.remoteAddr, this.now() - oldest.since,
      limit === 'host' ? `${this.perHost} per host` : `${this.total} in all`, this.byHost.get(oldest.host)?.size ?? 0, oldest.host)
    oldest.conn.abort(new HandshakeLimitError())
  }

  private release (key: object): void {
    const entry = this.waiting.get(key)
    if (entry == null) return
    this.waiting.delete(key)
    const same = this.byHost.get(entry.host)
    same?.delete(key)
    if (same?.size === 0) this.byHost.delete(entry.host)
  }
}
