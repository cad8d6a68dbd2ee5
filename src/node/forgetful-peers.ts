/**
 * Which shared-chain members lost their database, and when their votes count
 * again: the rule the driver applies (forgetful-members.ts) and the consensus
 * simulation replays with its "wipe" nemesis. No I/O here: the driver
 * persists what it readmits and sends `announcements()` and `heldBack()` in its hello.
 *
 * A member whose hello shows another incarnation than the one remembered
 * lost what it promised and accepted. Counted as if it had never voted, it
 * and a member that missed the last decisions could decide other values at
 * slots already chosen with its old votes. So its shared-chain messages are
 * dropped (`holds`) until this node knows every such slot is decided here:
 *
 * - leading, after a leader read (Paxos.readIndex: a majority of the booth
 *   confirmed this node still leads, so its index covers every value chosen
 *   before the read began) that began after this node noticed, once it
 *   applied up to that index. The member's acknowledgements are dropped, so
 *   the majority is one of the others: every majority that chose a value
 *   with the member's old vote shares one of them.
 * - following, once a member of the same shared chain that readmitted it so
 *   says in its hello (`announcements`: incarnation and the slot it had
 *   decided then) and this node decided up to that slot too (the driver
 *   hands over only same-chain members' lists: `hear`).
 *
 * (A first rule readmitted it once this node had decided a window past the
 * first slot any leader asked it to accept after it noticed. A review forked
 * a booth of five with it: a deposed leader that was behind asked for a low
 * slot, and the member's old votes lay far past it. It also held the member
 * back for as long as the chain stayed quiet; a leader read needs no writes.)
 *
 * A member's hello also names the members it holds back (`heldBack`): a node
 * of the same chain that never met one's earlier database holds it back too.
 */
import { MAX_READMITTED } from '../protocols/paxos/constants.ts'

/** A member readmitted by a node: its incarnation (hex), and the slot that node had decided then. */
export interface Readmission {
  peer: string
  incarnation: string
  slot: number
}

/** Readmissions a hello carries at most (the latest): a member readmitted long ago is no one's concern any more. */
export const MAX_ANNOUNCED = MAX_READMITTED
/** Readmissions heard from others kept at most (the latest), for members this node may notice later. */
const MAX_HEARD = 1_024

/**
 * What a member held back may still send: catch-up requests, and decided
 * values and snapshots (facts, answers to a catch-up). Not its votes, nor
 * its prepares, accepts and heartbeats: it would lead, or have a value
 * chosen, on its empty state, and a heartbeat makes a node follow it (a
 * version that let heartbeats pass kept two members of a booth of three
 * loyal to a wiped founder that had founded its chain again: they never
 * elected one of them, a review). A member behind whose leader is held back
 * here catches up from the members that announced it counted again
 * (`behind`): the simulation found one that never learned anything again.
 */
const LEARNING = new Set(['catchup', 'decided', 'snapshot'])

interface Held {
  incarnation: string
  /** The leader read that began after this member was noticed (its token), while one runs. */
  noticed: number
}

export class ForgetfulPeers {
  private readonly held = new Map<string, Held>()
  /** "peer/incarnation" → the lowest slot announced, and who announced it. */
  private readonly heard = new Map<string, { slot: number, from: string }>()
  private announced: Readmission[]
  /** Counts notices: a leader read started at token t covers the members noticed at or before t. */
  private seq = 0
  private confirming?: number

  constructor (announced: Readmission[] = []) {
    this.announced = announced.slice(-MAX_ANNOUNCED)
  }

  /** A member shows `incarnation` while `remembered` is the one on record: true when that makes it held back. */
  notice (peer: string, incarnation: string, remembered: string): boolean {
    if (incarnation === remembered || this.held.get(peer)?.incarnation === incarnation) return false
    this.held.set(peer, { incarnation, noticed: ++this.seq })
    return true
  }

  /**
   * A member says in its hello that it holds `peer` back at `incarnation`:
   * so does this node, unless it counts that incarnation again already. A
   * node that never met the peer's earlier database cannot tell otherwise
   * (a review forked a chain with a newcomer that counted a wiped member's
   * promise). True when that makes it held back here.
   */
  heldElsewhere (peer: string, incarnation: string): boolean {
    if (this.held.has(peer) || this.announced.some(a => a.peer === peer && a.incarnation === incarnation)) return false
    this.held.set(peer, { incarnation, noticed: ++this.seq })
    return true
  }

  /** The members held back, with the incarnation each shows (what this node's hello says). */
  heldBack (): Array<{ peer: string, incarnation: string }> {
    return [...this.held].map(([peer, h]) => ({ peer, incarnation: h.incarnation }))
  }

  /** Its votes are not counted, nor its phase 1 and 2 requests taken (see admits). */
  holds (peer: string): boolean {
    return this.held.has(peer)
  }

  /** Whether a shared-chain message of `type` from `peer` may be taken (see LEARNING). */
  admits (peer: string, type: string): boolean {
    return !this.held.has(peer) || LEARNING.has(type)
  }

  /** Whether any member is held back. */
  get holdsAny (): boolean {
    return this.held.size > 0
  }

  peers (): string[] {
    return [...this.held.keys()]
  }

  /** Leading with members held back and no read under way: the token of a read to begin now, else undefined. */
  startConfirmation (): number | undefined {
    if (this.held.size === 0 || this.confirming != null) return undefined
    this.confirming = this.seq
    return this.seq
  }

  /** The read of `token` failed (no longer leading, no majority): another may begin. */
  confirmationFailed (token: number): void {
    if (this.confirming === token) this.confirming = undefined
  }

  /** The read of `token` confirmed, and this node applied its index: `decided` now. */
  confirmed (token: number, decided: number): Readmission[] {
    if (this.confirming === token) this.confirming = undefined
    const out: Readmission[] = []
    for (const [peer, h] of this.held) {
      if (h.noticed <= token) out.push(this.readmit(peer, h.incarnation, decided))
    }
    return out
  }

  /**
   * Readmissions member `from` announced in its hello (kept, as this node may
   * notice that member later). Only from a member of this node's shared
   * chain: the slots are that chain's (a review had a member of another
   * chain readmit one at a slot of its own chain).
   */
  hear (from: string, announcements: Readmission[]): void {
    for (const a of announcements) {
      const key = `${a.peer}/${a.incarnation}`
      const before = this.heard.get(key)
      this.heard.delete(key)
      this.heard.set(key, before != null && before.slot <= a.slot ? before : { slot: a.slot, from })
    }
    for (const oldest of this.heard.keys()) {
      if (this.heard.size <= MAX_HEARD) break
      this.heard.delete(oldest)
    }
  }

  /** Members another node readmitted at a slot this node has decided too: readmitted here now. */
  caughtUp (decided: number): Readmission[] {
    const out: Readmission[] = []
    for (const [peer, h] of this.held) {
      const slot = this.heard.get(`${peer}/${h.incarnation}`)?.slot
      if (slot != null && decided >= slot) out.push(this.readmit(peer, h.incarnation, decided))
    }
    return out
  }

  /** Members that announced a readmission at a slot this node has not decided: whom to catch up from, to what slot. */
  behind (decided: number): Array<{ from: string, slot: number }> {
    const out: Array<{ from: string, slot: number }> = []
    for (const [peer, h] of this.held) {
      const heard = this.heard.get(`${peer}/${h.incarnation}`)
      if (heard != null && heard.slot > decided) out.push(heard)
    }
    return out
  }

  /** This node's shared chain is another one now: what was heard and announced was about the old one. */
  resetChain (): void {
    this.heard.clear()
    this.announced = []
  }

  /** What this node's hello says it readmitted (the latest MAX_ANNOUNCED). */
  announcements (): Readmission[] {
    return this.announced
  }

  private readmit (peer: string, incarnation: string, slot: number): Readmission {
    this.held.delete(peer)
    const r = { peer, incarnation, slot }
    this.announced = [...this.announced.filter(a => a.peer !== peer), r].slice(-MAX_ANNOUNCED)
    return r
  }
}
