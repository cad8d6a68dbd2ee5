/**
 * Rounds of one chain never overlap: a commit that arrives while a round runs
 * is covered by the next round, which replicates up to the tip at its start;
 * callers that arrive while one runs share the next one (VGuardDB.afterCommit
 * says who joins which).
 */
import type { ReplicationOutcome } from './replication-round.ts'

/** Runs one round (ReplicationRound.run). */
export type RunRound = (chainId: string, participants: string[], idle: boolean) => Promise<ReplicationOutcome>

export class RoundQueue {
  private readonly run: RunRound
  private readonly rounds = new Map<string, Promise<ReplicationOutcome>>()
  private readonly queued = new Map<string, Promise<ReplicationOutcome>>()
  /** Rounds queued or running that no commit carries (see afterCommit). */
  private readonly idleQueued = new Set<Promise<ReplicationOutcome>>()
  /** The round under way per chain (started, not ended). */
  private readonly running = new Map<string, Promise<ReplicationOutcome>>()

  constructor (run: RunRound) {
    this.run = run
  }

  /** @see VGuardDB.afterCommit */
  async afterCommit (chainId: string, participants: string[], options: { own?: boolean, covering?: number, idle?: boolean } = {}): Promise<ReplicationOutcome> {
    const running = this.running.get(chainId)
    const idle = options.idle === true
    const queued = options.own === true ? undefined : this.queued.get(chainId)
    const next = queued != null && (idle || !this.idleQueued.has(queued)) ? queued : this.queue(chainId, participants, idle)
    if (running != null && options.covering != null) {
      const outcome = await running.catch(() => undefined)
      if (outcome?.complete === true && outcome.height >= options.covering) return outcome
    }
    return await next
  }

  /** Every round queued or running, however it ends (the node stops once they did). */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.rounds.values(), ...this.queued.values()])
  }

  /** A round after those queued: it starts once the one before it ended, however it ended. */
  private queue (chainId: string, participants: string[], idle: boolean): Promise<ReplicationOutcome> {
    const previous = this.rounds.get(chainId) ?? Promise.resolve()
    const next: Promise<ReplicationOutcome> = previous.catch(() => {}).then(async () => {
      if (this.queued.get(chainId) === next) this.queued.delete(chainId)
      this.running.set(chainId, next)
      try {
        return await this.run(chainId, participants, idle)
      } finally {
        this.idleQueued.delete(next)
        if (this.running.get(chainId) === next) this.running.delete(chainId)
        // the next round chains on this one as long as it is the last one queued
        if (this.rounds.get(chainId) === next) this.rounds.delete(chainId)
      }
    })
    this.queued.set(chainId, next)
    this.rounds.set(chainId, next)
    if (idle) this.idleQueued.add(next)
    // observed by its callers; a caller answered by the round before it leaves it unobserved
    next.catch(() => {})
    return next
  }
}
