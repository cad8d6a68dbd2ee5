/**
 * Our view (who we know, and our storage figures) sent to a new member, and
 * sent again a few times while its node does not take views yet. The peering
 * says who is new (src/node/peering.ts).
 */
import type { Logger, PeerId } from '@libp2p/interface'

/** ms before each new try of a view the peer's node did not take yet (sendView). */
const VIEW_RETRY_DELAYS = [200, 500, 1_000, 2_000, 4_000]

export interface ViewSenderInit {
  /** Sends our view to one peer (peer exchange's sendTo). */
  sendTo: (peerId: PeerId) => Promise<void>
  running: () => boolean
  /** Whether the peer is still a connected member: a retry goes to one only. */
  isMember: (id: string) => boolean
  log: Logger
}

export class ViewSender {
  private readonly sendTo: (peerId: PeerId) => Promise<void>
  private readonly running: () => boolean
  private readonly isMember: (id: string) => boolean
  private readonly log: Logger
  /** Retries waiting for their turn. */
  private readonly pending = new Set<ReturnType<typeof setTimeout>>()

  constructor (init: ViewSenderInit) {
    this.sendTo = init.sendTo
    this.running = init.running
    this.isMember = init.isMember
    this.log = init.log
  }

  /**
   * Sends our view to a new member. One that is starting takes views only
   * once its node registered the protocol, a moment after its libp2p dialled
   * us: refused then, it met the others we know only at the next periodic
   * announcement (~10 s, a vehicle's whole restart in a test that waited
   * for it). So a refusal of the protocol is tried again a few times.
   */
  sendView (peerId: PeerId, attempt = 0): void {
    this.sendTo(peerId).catch((err: Error) => {
      const retry = err.name === 'UnsupportedProtocolError' && attempt < VIEW_RETRY_DELAYS.length
      this.log('could not send our view to %p: %s%s', peerId, err.message, retry ? ' (a node starting? tried again shortly)' : '')
      if (!retry) return
      const timer = setTimeout(() => {
        this.pending.delete(timer)
        if (this.running() && this.isMember(peerId.toString())) this.sendView(peerId, attempt + 1)
      }, VIEW_RETRY_DELAYS[attempt])
      this.pending.add(timer)
    })
  }

  /** No retry runs after this. */
  stop (): void {
    this.pending.forEach(clearTimeout)
    this.pending.clear()
  }
}
