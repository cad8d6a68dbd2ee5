/**
 * Gossip from a connected peer that identify has not judged yet waits here
 * for the verdict, a while at most. gossipsub talks as soon as a stream
 * opens, often before our identify of the peer ends, and it notes a message
 * as seen before validating it: a member's first messages ignored then never
 * came again (a review). The peering settles the waits as identify judges
 * (src/node/peering.ts).
 */

/**
 * How long gossip from a connected peer not judged yet waits for identify's
 * verdict on it: libp2p's identify answers at once or times out after 5 s.
 * Gossip of a peer whose first identify failed is not waited for until the
 * retry (10–12 s after the connection opened, see IDENTIFY_RETRY_AFTER): a
 * hint lost, not worth a longer hold, which gossipsub would also count
 * against a peer asked for the message (IWANT, 3 s).
 */
const GOSSIP_VERDICT_WAIT = 12_000
/** Peers whose gossip may wait for a verdict at once, and messages per peer: a peer that never identifies holds no more. */
const MAX_VERDICT_PEERS = 256
const MAX_VERDICT_MESSAGES = 64

export class MemberVerdicts {
  /** Gossip waiting for identify's verdict on the peer that relayed it, per peer. */
  private readonly waiters = new Map<string, Set<(member: boolean) => void>>()
  /** The peering stopped (gossip may still arrive while libp2p stops: it waits for no verdict). */
  private stopped = false

  /** A start after a failed one (its stop set `stopped`): gossip of peers not judged yet waits for a verdict again. */
  start (): void {
    this.stopped = false
  }

  /** The node stops: every wait ends, not a member, and none begins. */
  stop (): void {
    this.stopped = true
    this.settle(undefined, false)
  }

  /**
   * Identify's verdict on a peer, within GOSSIP_VERDICT_WAIT (false if none
   * came). Undefined when no more may wait (stopped, or too many waiting): no
   * member.
   */
  wait (id: string): Promise<boolean> | undefined {
    let waiting = this.waiters.get(id)
    if (waiting == null) {
      // not while the peering is not running: gossip flows from libp2p's start, before the peering starts (its first identifies settle it)
      if (this.stopped || this.waiters.size >= MAX_VERDICT_PEERS) return undefined
      this.waiters.set(id, waiting = new Set())
    }
    if (waiting.size >= MAX_VERDICT_MESSAGES) return undefined
    const verdict = Promise.withResolvers<boolean>()
    const settle = (member: boolean): void => {
      clearTimeout(timer)
      waiting.delete(settle)
      if (waiting.size === 0 && this.waiters.get(id) === waiting) this.waiters.delete(id)
      verdict.resolve(member)
    }
    const timer = setTimeout(() => { settle(false) }, GOSSIP_VERDICT_WAIT)
    // a message waiting does not keep the process alive
    timer.unref?.()
    waiting.add(settle)
    return verdict.promise
  }

  /** Identify judged a peer (or, for undefined, the node stops: false for all): the gossip waiting on it goes on. */
  settle (id: string | undefined, member: boolean): void {
    for (const [peer, waiting] of [...this.waiters]) {
      if (id != null && peer !== id) continue
      for (const settle of [...waiting]) settle(member)
    }
  }
}
