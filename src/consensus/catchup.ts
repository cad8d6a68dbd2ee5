/**
 * Catch-up, both sides. A node that learns of decisions it lacks asks a
 * peer for the decided values from its first missing slot (`catchup`); the
 * peer answers with those values (`decided`), or with a `snapshot` when it
 * compacted them away. The asking side is paced (one ask per slot per wait)
 * and remembers whom it asked: their answers are taken as facts
 * (senders.ts mayTeach), anyone else's are not.
 */
import { epochsAt } from './booth.ts'
import type { Settings } from './config.ts'
import type { PaxosLog } from './log.ts'
import type { Message } from './types.ts'

/** Peers remembered as asked for a catch-up (senders.ts mayTeach). */
const MAX_CATCHUP_ASKED = 256

export class CatchupAsks {
  /** Ticks before the same slot is asked for again. */
  private wait = 0
  private slot = 0
  private readonly asked = new Set<string>()

  tick (): void {
    if (this.wait > 0) this.wait--
  }

  /** The next ask goes out at once, even for the same slot (an answer came, or prepares were sent again). */
  rearm (): void {
    this.wait = 0
  }

  /**
   * Whether to ask `from` for the values from `slot` on now: not while an
   * ask for that slot waits its `wait` ticks. Remembers `from` as asked.
   */
  ask (from: string, slot: number, wait: number): boolean {
    if (this.wait > 0 && this.slot === slot) {
      return false
    }
    this.slot = slot
    this.wait = wait
    if (!this.asked.has(from)) {
      // bounded: the oldest ask goes first (a late answer from it is asked for again)
      if (this.asked.size >= MAX_CATCHUP_ASKED) this.asked.delete(this.asked.values().next().value as string)
      this.asked.add(from)
    }
    return true
  }

  /** Whether this node asked `from` to catch it up (its decided values and snapshots are answers). */
  has (from: string): boolean {
    return this.asked.has(from)
  }
}

/** Askers remembered with the last answer they got (an asker forgotten is answered again: only its pace is lost). */
const MAX_CATCHUP_ANSWERED = 256

/**
 * The answering side's pace: a peer gets the values of a slot once per
 * `wait` ticks. An answer carries up to maxCatchupBytes and is encoded anew
 * for each ask: one frame of 64 asks of ~60 bytes each had a vehicle copy
 * 384 MiB on its event loop (a review; a full frame of 4,096, minutes). An
 * honest asker asks for the slot after the last answer at once, and that is
 * answered at once.
 */
export class CatchupAnswers {
  private now = 0
  private readonly given = new Map<string, { to: number, at: number }>()

  tick (): void {
    this.now++
  }

  /** Whether `peer`'s ask for the values from `slot` on is answered now: not if the last answer, `wait` ticks ago or less, covered that slot. */
  mayAnswer (peer: string, slot: number, wait: number): boolean {
    const last = this.given.get(peer)
    return last == null || this.now - last.at >= wait || slot > last.to
  }

  /** `peer` was sent the values (or the snapshot) up to slot `to`. */
  answered (peer: string, to: number): void {
    this.given.delete(peer)
    if (this.given.size >= MAX_CATCHUP_ANSWERED) this.given.delete(this.given.keys().next().value as string)
    this.given.set(peer, { to, at: this.now })
  }
}

/** The slot up to which an answer to a catch-up brings its asker. */
export function answeredTo (answer: Message): number {
  if (answer.type === 'snapshot') return answer.slot
  if (answer.type === 'decided') return answer.entries.at(-1)?.slot ?? 0
  return 0
}

/** The answer to a peer's catch-up from `log`: decided values, a snapshot below the compacted point, or nothing. */
export function answerCatchup (log: PaxosLog, s: Settings, msg: Extract<Message, { type: 'catchup' }>): Message | undefined {
  if (msg.slot <= log.compacted) {
    return {
      type: 'snapshot',
      from: s.id,
      to: msg.from,
      slot: log.compacted,
      booths: epochsAt(log.epochs, log.compacted, s.window)
    }
  }
  const entries = log.decidedFrom(msg.slot, s.maxCatchup, s.maxCatchupBytes)
  return entries.length > 0 ? { type: 'decided', from: s.id, to: msg.from, entries, commit: log.commit } : undefined
}
