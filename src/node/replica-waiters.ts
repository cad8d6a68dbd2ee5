/**
 * Callers a chain's replica keeps waiting on its state rather than on one
 * write or read: those that wait for it to lead (a read of our own chain
 * while its phase 1 runs) and those that wait for it to catch up with what
 * it heard was decided elsewhere. The replica's loop says when; this keeps
 * the lists and their deadlines (on the replica's monotonic clock).
 */
import type { PaxosStatus } from '../consensus/index.ts'

/** A caller of caughtUp: waits for `slot` (set once a leader is known) to be decided here, or its deadline. */
interface CatchupWaiter {
  deadline: number
  slot?: number
  resolve: () => void
}

interface LeaderWaiter {
  deadline: number
  resolve: () => void
  reject: (err: Error) => void
}

export class ReplicaWaiters {
  private leaders: LeaderWaiter[] = []
  private catchups: CatchupWaiter[] = []

  /** Resolves once `leading` is called, or rejects with what `expire` is told at the deadline. */
  async untilLeader (deadline: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.leaders.push({ deadline, resolve, reject })
    })
  }

  /** Whether anyone waits for the replica to lead. */
  get awaitLeader (): boolean {
    return this.leaders.length > 0
  }

  /** The replica leads: its waiters go on. */
  leading (): void {
    for (const w of this.leaders.splice(0)) w.resolve()
  }

  /** Waits until the replica decided what it had heard was decided once a leader was known (see settle), or the deadline. Never rejects. */
  async caughtUp (deadline: number): Promise<void> {
    const waiter: CatchupWaiter = { deadline, resolve: () => {} }
    const done = new Promise<void>((resolve) => { waiter.resolve = resolve })
    this.catchups.push(waiter)
    return await done
  }

  /** Lets go the catch-up waiters whose slot is decided or whose deadline passed (all of them once `closed`). */
  settle (status: () => Pick<PaxosStatus, 'leader' | 'heard' | 'commit'>, now: number, closed: boolean): void {
    if (this.catchups.length === 0) return
    const st = status()
    this.catchups = this.catchups.filter(w => {
      // the target is fixed once a leader is known: under steady writes what is heard keeps moving
      if (w.slot == null && st.leader != null) w.slot = st.heard
      if (!closed && (w.slot == null || st.commit < w.slot) && now < w.deadline) return true
      w.resolve()
      return false
    })
  }

  /** Rejects the leader waiters past their deadline with `reason()`. */
  expire (now: number, reason: () => Error): void {
    this.leaders = this.leaders.filter(w => {
      if (now < w.deadline) return true
      w.reject(reason())
      return false
    })
  }

  /** The replica stopped: every leader waiter fails with `err` (catch-up waiters go with the next settle). */
  rejectLeaders (err: Error): void {
    for (const w of this.leaders.splice(0)) w.reject(err)
  }
}
