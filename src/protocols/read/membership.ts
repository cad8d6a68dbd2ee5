/**
 * Who may read over /vguard/read/1.0.0: connected members of our network
 * only. A chain's data is only for the vehicles that run the same network.
 *
 * The node's peering knows who is a member (identify said it runs our
 * network, and it is allowed); the read service is given that view as
 * `isMember`. Without one it judges by itself from what identify left in the
 * peer store: the remote's agent must name the same network as ours. Either
 * way a peer that identify has shown to run another network (or no
 * vguard-node at all) is refused at once, and one not identified yet is
 * waited for a little: it may open its stream the moment its identify of us
 * finished, before ours of it did.
 *
 * A peer of our network may also be kept out for a lasting reason the node
 * knows (`refusal`: two processes run its identity). Waiting would not change
 * that, and the sender of a replication round waited out the whole wait per
 * stream (~9 s a round) for a backup that would never take it: it is refused
 * at once, told why.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { networkOfAgent } from '../agent.ts'

/** What is known of a peer now: a member, a peer we must refuse, or not identified yet. */
export type Membership = 'member' | 'outsider' | 'unknown'

export interface MembershipInit {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore'>
  isMember?: (peer: PeerId) => boolean
  /** Why a peer is kept out for a lasting reason (not one identify settles in a moment); undefined: none. */
  refusal?: (peer: PeerId) => string | undefined
}

/** What a peer refused as no member is told. */
export const NOT_A_MEMBER = 'not a member of this network'

const utf8d = new TextDecoder()

export class MembershipCheck {
  private readonly libp2p: Pick<Libp2p, 'peerId' | 'peerStore'>
  private readonly isMember?: (peer: PeerId) => boolean
  private readonly refusal?: (peer: PeerId) => string | undefined
  /** Our own network, from our agent (identify stores it in the peer store when it starts). */
  private own?: string

  constructor (init: MembershipInit) {
    this.libp2p = init.libp2p
    this.isMember = init.isMember
    this.refusal = init.refusal
  }

  async judge (peer: PeerId): Promise<Membership> {
    if (this.isMember?.(peer) === true) return 'member'
    const theirs = await this.networkOf(peer)
    if (theirs === undefined) return 'unknown'
    const ours = await this.ownNetwork()
    // without our own network we cannot tell: refusing is the safe side
    if (ours == null || theirs == null || theirs !== ours) return 'outsider'
    // same network, but the peering has not (yet) counted it as a member
    if (this.isMember != null) return 'unknown'
    return 'member'
  }

  /**
   * Whether the connection's peer may be served: a member now, or once its
   * identify (or the peering's verdict) arrives within `wait` ms. An outsider
   * is refused at once; so is anyone once the connection closes or `running`
   * says the service stopped.
   */
  async admit (connection: Pick<Connection, 'remotePeer' | 'status'>, wait: number, running: () => boolean = () => true): Promise<boolean> {
    return await this.refusalOf(connection, wait, running) === undefined
  }

  /**
   * As admit, but says why a peer is refused (undefined: it is served): the
   * lasting reason `refusal` gives, at once, or NOT_A_MEMBER.
   */
  async refusalOf (connection: Pick<Connection, 'remotePeer' | 'status'>, wait: number, running: () => boolean = () => true): Promise<string | undefined> {
    const until = performance.now() + wait
    while (true) {
      // asked at every turn: a peer waited for may turn out to be one (a clone heard while its stream waited)
      const lasting = this.refusal?.(connection.remotePeer)
      if (lasting != null) return lasting
      const verdict = await this.judge(connection.remotePeer)
      if (verdict === 'member') return undefined
      if (verdict === 'outsider') return NOT_A_MEMBER
      if (!running() || connection.status !== 'open' || performance.now() >= until) return NOT_A_MEMBER
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  /** undefined: identify has not run yet; null: it ran and named no vguard network. */
  private async networkOf (peer: PeerId): Promise<string | null | undefined> {
    let agent: Uint8Array | undefined
    try {
      agent = (await this.libp2p.peerStore.get(peer)).metadata.get('AgentVersion')
    } catch {
      return undefined
    }
    if (agent == null) return undefined
    return networkOfAgent(utf8d.decode(agent)) ?? null
  }

  private async ownNetwork (): Promise<string | undefined> {
    this.own ??= (await this.networkOf(this.libp2p.peerId)) ?? undefined
    return this.own
  }
}
