/**
 * The booth results a vehicle gossips after each round (its chain's new tip
 * and signed backup table, on the network's booths topic), and the check and
 * adoption of those it hears: a gossiped table is a hint that spares readers
 * a lookup, never the only way a table travels (release-queue.ts hands each
 * round's table to its backups).
 */
import type { Logger } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { TypedEventEmitter } from 'main-event'
import { bytesEqual } from '../chain/index.ts'
import { BoothResult, verifyTable } from '../backup/index.ts'
import type { BackupTableStore, VerifiedTable } from '../backup/index.ts'
import type { VGuardNodeEvents } from './events.ts'
import { MAX_PARTICIPANTS } from './booth-input.ts'
import { HINT } from './redirect-reads.ts'
import type { RedirectReads } from './redirect-reads.ts'

/** A gossiped booth result is dropped (and not relayed) past this: a signed table is 16 KiB at most, 64 participants a few KiB. */
const MAX_BOOTH_RESULT_BYTES = 64 * 1024

/** A gossiped booth result, decoded, with its table verified. */
interface CheckedBoothResult {
  result: BoothResult
  verified: VerifiedTable
}

export interface BoothResultGossipDeps {
  /** The network's booths topic (boothsTopic). */
  topic: string
  pubsub: () => Pick<GossipSub, 'publish' | 'subscribe' | 'unsubscribe' | 'addEventListener' | 'removeEventListener'>
  tables: BackupTableStore
  redirects: Pick<RedirectReads, 'noteNews'>
  /** Whether a vehicle may take part (VGuardDBComponents.isAllowed). */
  isAllowed?: (peerId: string) => boolean
  events: TypedEventEmitter<VGuardNodeEvents>
  log: Logger
}

export class BoothResultGossip {
  /** Booth results gossiped to us that were malformed, oversized or carried a table that does not verify. */
  invalid = 0
  private readonly d: BoothResultGossipDeps
  /** What judge checked of each message it let through, for onGossip (gossipsub hands both the same object). */
  private readonly judged = new WeakMap<Message, CheckedBoothResult>()

  constructor (deps: BoothResultGossipDeps) {
    this.d = deps
  }

  start (): void {
    const pubsub = this.d.pubsub()
    pubsub.subscribe(this.d.topic)
    pubsub.addEventListener('message', this.onGossip)
  }

  stop (): void {
    const pubsub = this.d.pubsub()
    pubsub.removeEventListener('message', this.onGossip)
    pubsub.unsubscribe(this.d.topic)
  }

  publish (result: BoothResult): void {
    this.d.pubsub().publish(this.d.topic, BoothResult.encode(result))
      .catch((err: Error) => { this.d.log.trace('booth result not gossiped: %s', err.message) })
  }

  /**
   * gossipsub's check of a booth result, after the peering's check of who
   * sent it and before the message is taken or relayed: oversized, malformed
   * or a table that does not verify is Reject (junk a member signed), a table
   * of a chain off the allow list is Ignore (a member whose list is wider
   * relays it in good faith).
   * Accepting anything a member published, every node relayed junk it then
   * dropped, to vehicles the member was not even connected to (a review).
   * What it checked goes to onGossip with the message: verified once.
   *
   * A Reject scores the member that sent it down, to gossipsub's graylist
   * after a few (gossip-score.ts), so only what no honest vehicle sends is
   * one: a vehicle publishes only its own chain's booth results (round), its
   * table signed with its own key for its own chain id and bounded by
   * MAX_TABLE_MEMBERS, its participants cut to MAX_PARTICIPANTS; a member
   * relays only what it accepted, and the check depends on the bytes alone
   * (the same on every vehicle of a version). Whatever a member's own state
   * or configuration makes it see otherwise (an old table replayed, a chain
   * off our allow list) verifies, or is Ignore. Raising one of these bounds
   * needs a new topic version: vehicles of the old one would reject it.
   */
  readonly judge = async (msg: Message): Promise<TopicValidatorResult> => {
    const checked = await this.checkBoothResult(msg.data)
    if (checked === 'invalid') return TopicValidatorResult.Reject
    if (checked === 'not-allowed') return TopicValidatorResult.Ignore
    this.judged.set(msg, checked)
    return TopicValidatorResult.Accept
  }

  /** A booth result decoded and its table verified; why not, counted in `invalid`. */
  private async checkBoothResult (data: Uint8Array): Promise<CheckedBoothResult | 'invalid' | 'not-allowed'> {
    let result: BoothResult
    try {
      if (data.byteLength > MAX_BOOTH_RESULT_BYTES) throw new Error('oversized')
      result = BoothResult.decode(data, { limits: { participants: MAX_PARTICIPANTS } })
    } catch {
      this.invalid++
      return 'invalid'
    }
    // a member may relay tables it signed with made-up keys: kept, they would push out the hints redirect reads use
    if (this.d.isAllowed?.(result.chainId) === false) {
      this.invalid++
      this.d.log('ignored a gossiped table of %s: not on the allow list', result.chainId)
      return 'not-allowed'
    }
    // the table we hold, byte for byte (gossip repeats it): nothing to verify
    const held = this.d.tables.get(result.chainId)
    if (held != null && bytesEqual(held.signed, result.table)) return { result, verified: held }
    try {
      return { result, verified: await verifyTable(result.table, result.chainId) }
    } catch (err) {
      this.invalid++
      this.d.log('ignored a gossiped table: %s', (err as Error).message)
      return 'invalid'
    }
  }

  /** Gossip is a hint: adopt a newer verified table (judge let only those through). */
  private readonly onGossip = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== this.d.topic) return
    const judged = this.judged.get(msg)
    this.judged.delete(msg)
    // no validator ran (libp2p without ours): checked here instead
    void (judged != null ? Promise.resolve(judged) : this.checkBoothResult(msg.data)).then((checked) => {
      if (typeof checked !== 'string') this.adoptGossiped(msg, checked)
    })
  }

  private adoptGossiped (msg: Message, { result, verified }: CheckedBoothResult): void {
    // news (a reader skips the table lookup for TABLE_NEWS_TTL) only from the chain's proposer, which publishes
    // its own booth results; gossipsub keeps the first publisher through relays. Any member can replay an old
    // signed table: taken for news, a reader that held none served an obsolete backup's value as fresh (a review)
    const fromOwner = msg.type === 'signed' && msg.from.toString() === result.chainId
    this.d.tables.adoptVerified(verified, HINT)
      .then(({ adopted, table }) => {
        if (adopted && fromOwner) this.d.redirects.noteNews(table.table.chainId)
        if (adopted) this.d.events.safeDispatchEvent('backup:table', { detail: { chainId: table.table.chainId, epoch: table.table.epoch, active: table.table.active, obsolete: table.table.obsolete, height: table.table.height } })
      })
      .catch((err: Error) => {
        // a write that failed (the node stopping, a full disk) is not the table's fault
        this.d.log('ignored a gossiped table: %s', err.message)
      })
  }
}
