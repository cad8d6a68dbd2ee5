/**
 * One budget for the undecided values a node holds as a booth member of
 * other vehicles' chains. Each chain's acceptor bounds its own
 * (PAXOS_TIMING.maxUndecidedBytes, 64 MiB), but a node sits in up to
 * `--member-chains` booths at once (256): a few vehicles that send accepts
 * they never decide could make it hold 64 MiB each, in memory (the state
 * machine's log) and on disk, 16 GiB in all.
 *
 * So a chain may hold up to its own bound only while the node's total stays
 * within `budget` (memberUndecidedBytes, 256 MiB by default); past it, each chain still gets `floor`, what an honest
 * vehicle has in flight at most (`window` slots of the largest block), so
 * those that fill the budget withhold no vote from the others. A vote
 * withheld is never unsafe: the vehicle's write waits, or finds another
 * majority.
 */
import { MAX_PAYLOAD_BYTES } from '../chain/index.ts'
import { PAXOS_TIMING } from './paxos-constants.ts'

/** What each member chain may hold whatever the others hold: a full window of the largest blocks, and a slot to spare. */
export const MEMBER_UNDECIDED_FLOOR = (PAXOS_TIMING.window + 1) * MAX_PAYLOAD_BYTES

export class UndecidedBudget {
  private readonly held = new Map<string, number>()
  private sum = 0

  constructor (
    /** What they may hold together (config memberUndecidedBytes). */
    readonly budget: number,
    readonly floor = MEMBER_UNDECIDED_FLOOR,
    readonly perChain = PAXOS_TIMING.maxUndecidedBytes
  ) {}

  /** Bytes the chain may hold undecided now: its floor whatever the others hold, up to its own bound while the total stays within the budget. */
  limitFor (chainId: string): number {
    const mine = this.held.get(chainId) ?? 0
    const spare = Math.max(0, this.budget - this.sum)
    return Math.max(this.floor, Math.min(this.perChain, mine + spare))
  }

  /** What the chain holds undecided now (after each of its Readies). */
  note (chainId: string, bytes: number): void {
    this.sum += bytes - (this.held.get(chainId) ?? 0)
    if (bytes > 0) this.held.set(chainId, bytes)
    else this.held.delete(chainId)
  }

  /** The chain's replica closed: it holds nothing in memory any more. */
  forget (chainId: string): void {
    this.note(chainId, 0)
  }

  /** What every member chain holds undecided together. */
  get bytes (): number {
    return this.sum
  }
}
