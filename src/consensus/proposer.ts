/**
 * The proposer: a campaign (phase 1) and, once it wins, a leadership
 * (phase 2 for each slot, pipelined).
 *
 * Leader rules that safety relies on (see docs/consensus.md):
 * - it proposes exactly one value per slot at its ballot;
 * - it re-proposes, in slot order, the values recovered in phase 1 (noop in
 *   gaps) before anything new;
 * - it proposes slot s only once every slot ≤ s - window is decided, so the
 *   booth of s (fixed by those decided slots) is known;
 * - it never has slots of two different booths in flight: a slot whose booth
 *   differs from an in-flight slot waits until those are decided.
 */
import { sameMembers, hasMajority } from './booth.ts'
import { planRecovery } from './recovery.ts'
import { valuesEqual } from './values.ts'
import type { PaxosLog } from './log.ts'
import type { RecoveryBase, RecoveryPlan } from './recovery.ts'
import type { AcceptMessage, AcceptedMessage, Ballot, Message, PromiseMessage, Proposal, Value } from './types.ts'

export interface ProposerContext {
  readonly id: string
  readonly log: PaxosLog
  readonly maxInflight: number
  send: (msg: Message) => void
  /** Signs the value proposed at a slot in a round (a chain with proofs, ProposerProofs). */
  readonly prove?: (slot: number, round: number, value: Value) => Uint8Array
}

/** What a recovery plan starts from: what this node's log knows. */
const recoveryBase = (log: PaxosLog): RecoveryBase => ({ chosen: log.chosen, epochs: log.epochs, window: log.window })

export class Campaign {
  readonly ballot: Ballot
  readonly fromSlot: number
  readonly promises = new Map<string, PromiseMessage>()
  readonly asked = new Set<string>()
  plan: RecoveryPlan
  /** Ticks since a member other than the candidate first promised (see phase1.ts awaitsSilentMembers). */
  answeredTicks = 0
  /** Members whose promise showed, without our signature, votes we may have lost (proofs.ts): this campaign does not lead. */
  readonly unsigned = new Set<string>()
  /** Members whose promise showed another value decided where we decided one (Divergence): not counted. */
  readonly diverged = new Set<string>()

  /** A Bully takeover's campaign (PrepareMessage.takeover). */
  readonly takeover: boolean

  constructor (ballot: Ballot, log: PaxosLog, takeover = false) {
    this.ballot = ballot
    this.takeover = takeover
    this.fromSlot = log.chosen + 1
    this.plan = this.replan(log)
  }

  /** Recomputes the plan with the promises so far. */
  replan (log: PaxosLog): RecoveryPlan {
    this.plan = planRecovery(recoveryBase(log), this.promises)
    return this.plan
  }

  /** Whether the promises so far, `id`'s left out, would complete phase 1 (the plan itself is unchanged). */
  satisfiedWithout (id: string, log: PaxosLog): boolean {
    const others = new Map(this.promises)
    others.delete(id)
    return planRecovery(recoveryBase(log), others).satisfied
  }

  /** Whether some booth the campaign needs has no majority left without the members that went another way. */
  lostToDivergence (): boolean {
    return this.plan.required.some(members => !hasMajority(members, new Set(members.filter(m => !this.diverged.has(m)))))
  }

  /** Members of required booths that were not asked yet. */
  unasked (): string[] {
    const out: string[] = []
    for (const members of this.plan.required) {
      for (const m of members) {
        if (!this.asked.has(m) && !out.includes(m)) {
          out.push(m)
        }
      }
    }
    return out
  }

  /** Members of required booths that have not answered (for retransmission): a promise not counted for another history is an answer. */
  silent (): string[] {
    const out: string[] = []
    for (const members of this.plan.required) {
      for (const m of members) {
        if (!this.promises.has(m) && !this.diverged.has(m) && !out.includes(m)) {
          out.push(m)
        }
      }
    }
    return out
  }
}

interface Queued {
  value: Value
  /** Recovered in phase 1: must keep its place. */
  recovered: boolean
}

export interface InflightSlot {
  value: Value
  booth: string[]
  acks: Set<string>
  /** Our signature of the value at this slot and ballot, sent with every accept of it. */
  proof?: Uint8Array
}

export class Leadership {
  readonly ballot: Ballot
  nextSlot: number
  readonly inflight = new Map<number, InflightSlot>()
  /** Commit last announced to peers. */
  announced: number
  /** Who promised this ballot (this node included): in phase 1, or since (see extending). */
  readonly promisers: Set<string>
  /**
   * The next slot's booth has no majority among the promisers (a booth
   * change brought in members phase 1 never asked): the leader must get
   * their promises before it proposes there.
   */
  needsPhase1 = false
  /** The slot from which the leader asks the new booth's members to promise its ballot, while it does. */
  extending?: number
  /**
   * The highest slot noops may be queued up to for orphans (fillTo):
   * a window past readIndex() when the leadership began. An earlier leader
   * proposed slot s only once s - window was chosen, and phase 1 recovered
   * everything chosen, up to readIndex(); fixed, so that fill requests
   * cannot push it on without end.
   */
  fillLimit = 0
  /**
   * The last slot phase 1 left to this leadership: every value chosen before
   * it began is at or below it (decided, or recovered and re-proposed).
   */
  readonly recoveredThrough: number
  private readonly queue: Queued[] = []
  /** Data ids queued or in flight, with their slot once assigned. */
  private readonly ids = new Map<string, number | undefined>()

  constructor (ballot: Ballot, plan: RecoveryPlan, announced: number, promisers: Iterable<string>) {
    this.ballot = ballot
    this.nextSlot = plan.chosen + 1
    this.recoveredThrough = plan.chosen + plan.values.length
    this.announced = announced
    this.promisers = new Set(promisers)
    for (const value of plan.values) {
      this.queue.push({ value, recovered: true })
      if (value.kind === 'data') {
        this.ids.set(value.id, undefined)
      }
    }
  }

  get pending (): number {
    return this.queue.length
  }

  /** Slot of a queued or in-flight data id (undefined slot: queued). */
  lookup (id: string): { known: boolean, slot?: number } {
    return this.ids.has(id) ? { known: true, slot: this.ids.get(id) } : { known: false }
  }

  enqueue (id: string, data: Uint8Array): void {
    this.queue.push({ value: { kind: 'data', id, data }, recovered: false })
    this.ids.set(id, undefined)
  }

  /** Queues noops after everything queued: they fill slots no other value would take yet. */
  enqueueNoops (count: number): void {
    for (let i = 0; i < count; i++) this.queue.push({ value: { kind: 'noop' }, recovered: false })
  }

  /**
   * Queues a booth change ahead of client values, followed by window - 1
   * noops: the change governs slot k + window, and the noops get there fast
   * so the next client value already uses the new booth.
   */
  enqueueBooth (members: string[], window: number): void {
    let at = 0
    while (at < this.queue.length && (this.queue[at].recovered || this.queue[at].value.kind !== 'data')) {
      at++
    }
    const items: Queued[] = [{ value: { kind: 'booth', members }, recovered: false }]
    for (let i = 1; i < window; i++) {
      items.push({ value: { kind: 'noop' }, recovered: false })
    }
    this.queue.splice(at, 0, ...items)
  }

  /**
   * Queues noops so that every slot up to `slot` gets a value (orphans.ts).
   * Proposing anything at a slot above those phase 1 recovered is what any
   * leader may do. Capped at fillLimit, fixed when the leadership began: no
   * earlier leader could have proposed beyond it, so a request past it is
   * made up (capped from the leader's moving position instead, repeated
   * requests queued noops without end: a review). True when it queued some.
   */
  fillTo (slot: number): boolean {
    // the queue (recovered values, then carried ones) takes the slots from nextSlot on
    const filled = this.nextSlot + this.pending - 1
    const top = Math.min(slot, this.fillLimit)
    if (top <= filled) return false
    this.enqueueNoops(top - filled)
    return true
  }

  /** Takes the proposals carried into its phase 1 (leading.ts rephase), those not chosen meanwhile. */
  takeCarried (carried: Proposal[], log: PaxosLog): void {
    for (const p of carried) {
      if (!this.lookup(p.id).known && log.slotOfId(p.id) == null) {
        this.enqueue(p.id, p.data)
      }
    }
  }

  /** While extending: asks the members of the new booth that have not promised this ballot yet. */
  askExtension (ctx: ProposerContext): void {
    if (this.extending == null) {
      return
    }
    for (const to of ctx.log.boothFor(this.extending)) {
      if (to !== ctx.id && !this.promisers.has(to)) {
        ctx.send({ type: 'prepare', from: ctx.id, to, ballot: this.ballot, slot: this.extending })
      }
    }
  }

  /**
   * The highest slot a value chosen before now can hold: every slot this
   * leadership assigned, and the recovered values still queued (they take
   * the next slots, in order). A value chosen by an earlier leader was
   * accepted by a majority, so phase 1 recovered it at or below this slot.
   */
  readIndex (): number {
    let recovered = 0
    while (recovered < this.queue.length && this.queue[recovered].recovered) recovered++
    return this.nextSlot - 1 + recovered
  }

  /** Every booth this leadership has in flight or queued: the slots' own and the changes' new ones. */
  boothsInPlay (): string[][] {
    const out: string[][] = []
    for (const s of this.inflight.values()) {
      out.push(s.booth)
      if (s.value.kind === 'booth') out.push(s.value.members)
    }
    for (const q of this.queue) {
      if (q.value.kind === 'booth') out.push(q.value.members)
    }
    return out
  }

  /** The booth the chain will have once every queued and in-flight change is decided. */
  lastBooth (current: string[]): string[] {
    let members = current
    for (const s of this.inflight.values()) {
      if (s.value.kind === 'booth') {
        members = s.value.members
      }
    }
    for (const q of this.queue) {
      if (q.value.kind === 'booth') {
        members = q.value.members
      }
    }
    return members
  }

  /**
   * Assigns queued values to slots while the window, the pipeline and the
   * booth rule allow. Returns false when a slot turned out decided with
   * another value: a higher ballot exists, and the leader must step down.
   */
  pump (ctx: ProposerContext): boolean {
    const { log } = ctx
    // checked before anything is queued too, once the slots in flight (in
    // the old booth) are decided: the first write after a booth change
    // should not wait for a second phase 1. (Not earlier: a founder's new
    // shared chain is announced, and its members join it, only once those
    // slots are decided, and they cannot promise before.)
    if (this.inflight.size === 0 && this.nextSlot - log.window <= log.chosen && !hasMajority(log.boothFor(this.nextSlot), this.promisers)) {
      this.needsPhase1 = true
      return true
    }
    while (this.queue.length > 0 && this.inflight.size < ctx.maxInflight) {
      const slot = this.nextSlot
      if (slot - log.window > log.chosen) {
        return true
      }
      const booth = log.boothFor(slot)
      for (const s of this.inflight.values()) {
        if (!sameMembers(s.booth, booth)) {
          return true
        }
      }
      // Only acceptors that promised this ballot are bound by it: a majority
      // of the slot's booth that never promised could still accept, at a
      // lower ballot, another leader's value for this slot (that leader
      // learned the booth change from our decision). Proposing there without
      // their promises could choose a second value (found by the simulation).
      if (!hasMajority(booth, this.promisers)) {
        this.needsPhase1 = true
        return true
      }
      const decided = log.get(slot)
      const { value } = this.queue[0]
      if (decided?.decided === true && !valuesEqual(decided.value, value)) {
        return false
      }
      // compacted here without a decision seen (a snapshot from a later
      // leader): what was chosen there is unknown, so this leader is stale
      if (decided?.decided !== true && slot <= log.compacted) {
        return false
      }
      this.queue.shift()
      this.nextSlot++
      if (value.kind === 'data') {
        this.ids.set(value.id, slot)
      }
      if (decided?.decided === true) {
        // learned from a promise: already chosen, nothing to propose
        this.forget(value)
        continue
      }
      const inflight: InflightSlot = { value, booth, acks: new Set() }
      if (ctx.prove != null) inflight.proof = ctx.prove(slot, this.ballot.round, value)
      this.inflight.set(slot, inflight)
      this.sendAccepts(ctx, slot)
    }
    return true
  }

  /** Counts an acknowledgement; decides the slot on a majority of its booth. False: step down. */
  onAccepted (ctx: ProposerContext, msg: AcceptedMessage): boolean {
    const s = this.inflight.get(msg.slot)
    if (s == null || !s.booth.includes(msg.from)) {
      return true
    }
    s.acks.add(msg.from)
    if (hasMajority(s.booth, s.acks)) {
      this.inflight.delete(msg.slot)
      this.forget(s.value)
      ctx.log.decide(msg.slot, this.ballot, s.value, s.booth, s.proof == null ? undefined : { round: this.ballot.round, signature: s.proof })
      return this.settle(ctx)
    }
    return true
  }

  /**
   * Drops in-flight slots the log learned as decided elsewhere, then pumps.
   * A slot decided with a value other than ours proves a higher ballot
   * chose it: returns false, and the leader must step down before it
   * announces any commit (followers trust our commit for entries at our ballot).
   */
  settle (ctx: ProposerContext): boolean {
    for (const [slot, s] of this.inflight) {
      const e = ctx.log.get(slot)
      if (e?.decided === true && !valuesEqual(e.value, s.value)) {
        return false
      }
      // a snapshot compacted it before this node saw its decision: another
      // leader decided it, perhaps with another value, so this one is stale
      // (taking it for ours, its commit would mark our value decided at a
      // follower holding it: two values at one slot, found by review)
      if (e?.decided !== true && slot <= ctx.log.compacted) {
        return false
      }
      if (e?.decided === true) {
        this.inflight.delete(slot)
        this.forget(s.value)
      }
    }
    return this.pump(ctx)
  }

  /** Resends accepts that are not acknowledged yet. */
  retransmit (ctx: ProposerContext): void {
    for (const slot of this.inflight.keys()) {
      this.sendAccepts(ctx, slot, true)
    }
  }

  /**
   * Takes the client values queued and never sent (a second phase 1 is due:
   * the next leadership proposes them).
   */
  takeClientValues (): Proposal[] {
    const out: Proposal[] = []
    const keep: Queued[] = []
    for (const q of this.queue) {
      if (q.value.kind === 'data' && !q.recovered) {
        out.push({ id: q.value.id, data: q.value.data })
        this.ids.delete(q.value.id)
      } else {
        keep.push(q)
      }
    }
    this.queue.splice(0, this.queue.length, ...keep)
    return out
  }

  /**
   * Data values in flight, and the recovered ones still queued (each takes
   * the next slot in order), by slot: what an ending leadership leaves that
   * may still be chosen.
   */
  proposedData (): Array<[number, string]> {
    const out: Array<[number, string]> = []
    for (const [slot, s] of this.inflight) {
      if (s.value.kind === 'data') out.push([slot, s.value.id])
    }
    for (let i = 0; i < this.queue.length && this.queue[i].recovered; i++) {
      const { value } = this.queue[i]
      if (value.kind === 'data') out.push([this.nextSlot + i, value.id])
    }
    return out
  }

  /** Ends the leadership: returns the ids of client values never sent. */
  drain (): string[] {
    const out: string[] = []
    for (const q of this.queue) {
      if (q.value.kind === 'data' && !q.recovered) {
        out.push(q.value.id)
      }
    }
    this.queue.length = 0
    this.inflight.clear()
    this.ids.clear()
    return out
  }

  private sendAccepts (ctx: ProposerContext, slot: number, onlyMissing = false): void {
    const s = this.inflight.get(slot)
    if (s == null) {
      return
    }
    for (const to of s.booth) {
      if (onlyMissing && s.acks.has(to)) {
        continue
      }
      const accept: AcceptMessage = {
        type: 'accept',
        from: ctx.id,
        to,
        ballot: this.ballot,
        slot,
        value: s.value,
        booth: s.booth,
        commit: ctx.log.commit
      }
      if (s.proof != null) accept.proof = s.proof
      ctx.send(accept)
    }
  }

  private forget (value: Value): void {
    if (value.kind === 'data') {
      this.ids.delete(value.id)
    }
  }
}
