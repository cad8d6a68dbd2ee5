/**
 * The bootstrap list the operator gave: dialled each reconnect round (those
 * not connected, not refused, not backing off), and what goes wrong with an
 * address said once, until it works (peer:bootstrap-failed). The peering
 * dials and judges (src/node/peering.ts).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger, PeerId } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'
import type { VGuardLibp2p } from './libp2p.ts'
import type { VGuardNodeEvents } from './events.ts'
import { HANG_UPS_SAID } from './denied-peers.ts'
import type { DeniedPeers } from './denied-peers.ts'

/** What an operator is told of a bootstrap peer we refused (not in the connection gater's words). */
const NOT_OF_THIS_NETWORK = 'not a peer of this network: another network, or not on the allow list (see the peer rejected line)'

export interface BootstrapPeersInit {
  libp2p: VGuardLibp2p
  /** The bootstrap multiaddrs, as given. */
  addresses: string[]
  /** The peering's refusals and hang-up backoffs. */
  denied: DeniedPeers
  /** Peers known to be outside the network (the peering's isDenied). */
  isDenied: (peerId: PeerId) => boolean
  running: () => boolean
  /** Whether no member is connected: an address without a peer id is dialled only then. */
  lonely: () => boolean
  /** The peering's dial of a bootstrap address (`key`: its peer id, or the address). */
  dial: (target: Multiaddr, key: string, address: string) => void
  /** Where peer events go, once set. */
  events: () => TypedEventEmitter<VGuardNodeEvents> | undefined
  log: Logger
}

export class BootstrapPeers {
  private readonly libp2p: VGuardLibp2p
  private readonly addresses: string[]
  private readonly denied: DeniedPeers
  private readonly isDenied: (peerId: PeerId) => boolean
  private readonly running: () => boolean
  private readonly lonely: () => boolean
  private readonly dial: (target: Multiaddr, key: string, address: string) => void
  private readonly events: () => TypedEventEmitter<VGuardNodeEvents> | undefined
  private readonly log: Logger
  /** Bootstrap addresses whose last dial failed, already reported (a failure is told once, and again after a success). */
  private readonly down = new Set<string>()

  constructor (init: BootstrapPeersInit) {
    this.libp2p = init.libp2p
    this.addresses = init.addresses
    this.denied = init.denied
    this.isDenied = init.isDenied
    this.running = init.running
    this.lonely = init.lonely
    this.dial = init.dial
    this.events = init.events
    this.log = init.log
  }

  /** A dial of a bootstrap address succeeded: its next failure is said again. */
  reached (address: string): void {
    this.down.delete(address)
  }

  /** A bootstrap peer left before identify: counted, redialled less often, and said once it happened HANG_UPS_SAID times in a row. */
  hungUp (id: string): void {
    const addresses = this.addresses.filter(a => multiaddr(a).getComponents().find(c => c.name === 'p2p')?.value === id)
    if (addresses.length === 0) return
    if (!this.denied.hungUp(id)) return
    for (const address of addresses) {
      this.failed(address, `it hung up before identify ${HANG_UPS_SAID} times in a row: this node is likely not on its --allow list; dialled less often from now on`, true)
    }
  }

  /** An operator's typo or a peer that is down would otherwise go unnoticed: said once, until it works. */
  failed (address: string, error: string, refusedUs = false): void {
    if (this.down.has(address) || !this.running()) return
    // two vehicles that dial each other at once: one dial loses, and the pair is connected all the same
    const id = multiaddr(address).getComponents().find(c => c.name === 'p2p')?.value
    if (id != null && id !== this.libp2p.peerId.toString() && this.libp2p.getConnections(peerIdFromString(id)).length > 0) return
    // reached, and refused (another network, off the allow list): said so, not in the connection gater's words
    const denied = id != null && id !== this.libp2p.peerId.toString() && this.isDenied(peerIdFromString(id))
    if (denied) error = NOT_OF_THIS_NETWORK
    const refused = denied || refusedUs
    this.down.add(address)
    this.log('bootstrap %s %s: %s', address, refused ? 'refused' : 'unreachable', error)
    this.events()?.safeDispatchEvent('peer:bootstrap-failed', { detail: { address, error, ...(refused ? { refused } : {}) } })
  }

  /** Dials each bootstrap peer not connected, not refused and not backing off; says once what is wrong with an address. */
  dialAll (): void {
    const lonely = this.lonely()
    for (const addr of this.addresses) {
      const ma = multiaddr(addr)
      const id = ma.getComponents().find(c => c.name === 'p2p')?.value
      if (id == null) {
        // an address without a peer id (a DNS name for the swarm): only while we know nobody
        if (lonely) this.dial(ma, addr, addr)
        continue
      }
      if (id === this.libp2p.peerId.toString()) {
        this.failed(addr, 'it is this node\'s own address')
        continue
      }
      if (this.denied.has(id)) {
        // not dialled again for a while, and said once: the operator named a vehicle of another network
        this.failed(addr, NOT_OF_THIS_NETWORK)
        continue
      }
      if (this.libp2p.getConnections(peerIdFromString(id)).length > 0) {
        this.down.delete(addr)
        continue
      }
      if (this.denied.backingOff(id)) continue
      this.dial(ma, id, addr)
    }
  }
}
