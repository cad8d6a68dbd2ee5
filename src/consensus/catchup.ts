/**
 * Catch-up, both sides. A node that learns of decisions it lacks asks a
 * peer for the decided values from its first missing slot (`catchup`); the
 * peer answers with those values (`decided`), or with a `snapshot` when it
 * compacted them away. The asking side is paced (one ask per slot per wait)
 * and remembers whom it asked: their answers are taken as facts
 * (Paxos.mayTeach), anyone else's are not.
 */
import { epochsAt } from './booth.ts'
import type { Settings } from './config.ts'
import type { PaxosLog } from './log.ts'
import type { Message } from './types.ts'

/** Peers remembered as asked for a catch-up (Paxos.mayTeach). */
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
