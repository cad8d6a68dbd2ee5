/**
 * The driver's side of members that lost their database (forgetful-peers.ts
 * has the rule): noticing them (a hello with another incarnation than we
 * remember, or a member of our shared chain that holds one back), dropping
 * their shared-chain votes meanwhile, and counting them again once every
 * slot they may have voted for before is decided here: on a member's word
 * and our own decided slot, or, leading, after a leader read begun once we
 * noticed. What we know goes in every hello: a newcomer must learn it.
 */
import type { Logger } from '@libp2p/interface'
import type { Message } from '../consensus/index.ts'
import { fromHex, toHex } from '../chain/index.ts'
import type { HelloInfo } from '../protocols/paxos/index.ts'
import type { ChainReplica } from './paxos-replica.ts'
import { ForgetfulPeers } from './forgetful-peers.ts'
import type { Readmission } from './forgetful-peers.ts'
import { INCARNATION_BYTES } from './incarnations.ts'
import { MAX_MEMBERS } from '../protocols/paxos/constants.ts'
import type { Incarnations } from './incarnations.ts'

/** How long the leader read that readmits members which lost their database may take (tried again each second). */
const READMIT_READ_TIMEOUT = 5_000

/** What it needs of the driver. */
export interface ForgetfulHost {
  readonly self: string
  readonly log: Logger
  readonly incarnations: Incarnations
  shared: () => ChainReplica | undefined
  /** Whether a hello names our shared chain. */
  sameChain: (h: HelloInfo | undefined) => boolean
  /** We founded our shared chain and lost our database since. */
  wipedFounder: () => boolean
  /** Connected members' ids. */
  members: () => string[]
  hello: (peer: string) => HelloInfo | undefined
  /** Our hello may say something else now. */
  announce: () => void
  /** The driver's tick count. */
  ticks: () => number
}

/** What a hello says of members that lost their database. */
export type ForgetfulHello = Pick<HelloInfo, 'readmitted' | 'heldBack' | 'recorded'>

/** Incarnations a hello names at most (Hello.recorded): a booth of the largest size. */
const MAX_RECORDED = MAX_MEMBERS

export class ForgetfulMembers {
  private readonly h: ForgetfulHost
  /** Made in start(), with what we announced before. */
  private forgetful = new ForgetfulPeers()
  /** A failed read to count members held back again is retried from this tick on, not every tick. */
  private confirmRetryTick = 0

  constructor (host: ForgetfulHost) {
    this.h = host
  }

  /** At start: what we announced as counted again before (Incarnations, opened). */
  start (): void {
    this.forgetful = new ForgetfulPeers(this.h.incarnations.readmitted)
  }

  /** Whether a shared-chain message of `from` counts: a member held back sends only catch-up requests. */
  admits (from: string, type: Message['type']): boolean {
    return this.forgetful.admits(from, type)
  }

  /** Our record names another shared chain: readmissions are about slots of the one left. */
  async resetChain (): Promise<void> {
    this.forgetful.resetChain()
    await this.h.incarnations.saveReadmitted([])
  }

  /** Every tick: a leader just elected with members held back counts them again at once (see confirmReadmissions). */
  tick (): void {
    if (this.forgetful.holdsAny && this.h.ticks() >= this.confirmRetryTick) this.confirmReadmissions()
  }

  /** What our hello says: members we count again (and from which slot), members we hold back, and the incarnations we have on record. */
  helloFields (): Required<ForgetfulHello> {
    return {
      readmitted: this.forgetful.announcements().map(r => ({ peer: r.peer, incarnation: fromHex(r.incarnation) as Uint8Array<ArrayBuffer>, slot: r.slot })),
      heldBack: this.forgetful.heldBack().map(h => ({ peer: h.peer, incarnation: fromHex(h.incarnation) as Uint8Array<ArrayBuffer> })),
      recorded: this.recorded()
    }
  }

  /**
   * The incarnations on record for our shared chain's booth, then its other
   * connected members (MAX_RECORDED at most): the booth's, also those away,
   * are the ones whose earlier votes a member must not count as new.
   */
  private recorded (): Array<{ peer: string, incarnation: Uint8Array<ArrayBuffer> }> {
    const peers = new Set([...(this.h.shared()?.status().booth ?? []), ...this.h.members()])
    peers.delete(this.h.self)
    const out: Array<{ peer: string, incarnation: Uint8Array<ArrayBuffer> }> = []
    for (const peer of peers) {
      const known = this.h.incarnations.of(peer)
      if (known != null) out.push({ peer, incarnation: fromHex(known) as Uint8Array<ArrayBuffer> })
      if (out.length === MAX_RECORDED) break
    }
    return out
  }

  /** Notes a peer's incarnation; one that differs from what we remember marks it forgetful. */
  checkIncarnation (from: string, incarnation: Uint8Array | undefined): void {
    if (incarnation == null || incarnation.byteLength !== INCARNATION_BYTES) return
    const shown = toHex(incarnation)
    const known = this.h.incarnations.of(from)
    if (known == null) {
      // at once, not once it is in our booth: it may vote a moment later (a review saw a member that
      // stopped a second after the booth formed hold no record, and count a wiped peer's votes)
      this.h.incarnations.remember(from, shown).catch((err: Error) => { this.h.log.error('could not remember the incarnation of %s: %s', from, err.message) })
      // held back on another's word (heldBack) for another incarnation than it shows: held for this one
      if (this.forgetful.holds(from)) this.forgetful.notice(from, shown, '')
      return
    }
    if (known === shown) this.h.incarnations.touch(from)
    if (!this.forgetful.notice(from, shown, known)) return
    this.h.log.error('%s lost its database (another incarnation than before): its shared-chain votes are not counted until every slot it may have voted for is decided here', from)
    this.h.announce()
    this.confirmReadmissions()
  }

  /**
   * What a member's hello says of members that lost their database: those
   * it counts again, those it holds back. Only from a member of our shared
   * chain (its slots are that chain's, and a member of another chain may
   * hold back one whose votes count on ours: a review had a member of another
   * chain readmit one at a slot of its own, and one hold back the founder
   * of a chain it was no member of, which stopped that chain). Kept with the
   * hello and looked at again each second: a newcomer has no chain yet when
   * the hellos come.
   */
  hear (from: string, h: HelloInfo | undefined): void {
    if (h == null || !this.h.sameChain(h)) return
    const self = toHex(this.h.incarnations.self)
    const decided = this.h.shared()?.status().decided ?? 0
    // we founded this chain and lost our database since (opened with forgotVotes): counted again, and
    // caught up to where that was said, our own promise counts again too
    if (this.h.wipedFounder() && h.readmitted?.some(r => r.peer === this.h.self && toHex(r.incarnation) === self && decided >= r.slot) === true) this.h.shared()?.restoreVotes()
    this.forgetful.hear(from, (h.readmitted ?? []).filter(r => r.peer !== this.h.self).map(r => ({ peer: r.peer, incarnation: toHex(r.incarnation), slot: r.slot })))
    this.adoptRecords(from, h.recorded ?? [])
    let held = false
    for (const b of (h.heldBack ?? []).filter(b => b.peer !== this.h.self)) {
      if (!this.forgetful.heldElsewhere(b.peer, toHex(b.incarnation))) continue
      held = true
      this.h.log.error('%s holds back %s (it lost its database): so do we', from, b.peer)
    }
    if (held) {
      this.h.announce()
      this.confirmReadmissions()
    }
    this.countReadmitted(this.forgetful.caughtUp(this.h.shared()?.status().decided ?? 0))
  }

  /**
   * Takes a member's record of the incarnation of a member we have none of
   * (we never met it, or our database is newer than our last meeting): when
   * that member shows another one, it lost its database since, and it is
   * held back here as by the members that remember it. Without it, a vehicle
   * that lost its own database counted a member that lost its database after
   * as new, and the two elected a leader that knew none of the slots chosen
   * with the other's earlier votes (the simulation, seed 2000184, deep). Our
   * own record is never replaced: one taken first-hand beats a word.
   */
  private adoptRecords (from: string, recorded: Array<{ peer: string, incarnation: Uint8Array }>): void {
    for (const r of recorded) {
      if (r.peer === this.h.self || r.peer === from || r.incarnation.byteLength !== INCARNATION_BYTES || this.h.incarnations.of(r.peer) != null) continue
      this.h.incarnations.remember(r.peer, toHex(r.incarnation)).catch((err: Error) => { this.h.log.error('could not remember the incarnation of %s: %s', r.peer, err.message) })
    }
  }

  /**
   * Counts members that lost their database again once that is safe (see
   * `forgetful`): a member's word and our decided slot, or, leading, a leader
   * read begun after we noticed (the acknowledgements of those held back are
   * dropped, so the majority that confirms it is one of the others).
   */
  check (): void {
    const shared = this.h.shared()
    if (shared == null) return
    for (const id of this.h.members()) this.hear(id, this.h.hello(id))
    const st = shared.status()
    this.countReadmitted(this.forgetful.caughtUp(st.decided))
    // the leader may be the member held back: its decisions come from those that count it again
    for (const { from, slot } of this.forgetful.behind(st.decided)) shared.catchUpFrom(from, slot)
    this.confirmReadmissions()
  }

  /**
   * Leading with members held back: begins the leader read that counts them
   * again (one at a time). Called as soon as one is held back, not only on
   * the 1 s cadence: until it is readmitted, the booth's majority is one of
   * the others, and a leader lost meanwhile may leave too few of them to
   * elect another.
   */
  private confirmReadmissions (): void {
    const shared = this.h.shared()
    if (shared == null || shared.status().role !== 'leader') return
    const token = this.forgetful.startConfirmation()
    if (token == null) return
    shared.confirmLeader(READMIT_READ_TIMEOUT).then(
      () => { this.countReadmitted(this.forgetful.confirmed(token, shared.status().decided)) },
      (err: Error) => {
        this.forgetful.confirmationFailed(token)
        this.confirmRetryTick = this.h.ticks() + 20
        this.h.log('no leader read to count members that lost their database again: %s', err.message)
      })
  }

  private countReadmitted (readmitted: Readmission[]): void {
    if (readmitted.length === 0) return
    for (const r of readmitted) {
      this.h.log('%s takes part in the shared chain again: every slot it may have voted for before is decided here (up to %d)', r.peer, r.slot)
      this.h.incarnations.remember(r.peer, r.incarnation).catch((err: Error) => { this.h.log.error('could not remember the incarnation of %s: %s', r.peer, err.message) })
    }
    this.h.incarnations.saveReadmitted(this.forgetful.announcements()).catch((err: Error) => { this.h.log.error('could not keep the members counted again: %s', err.message) })
    this.h.announce()
  }

  /** Peers whose shared-chain votes are held back: they lost their database. */
  heldPeers (): string[] {
    return this.forgetful.peers()
  }
}
