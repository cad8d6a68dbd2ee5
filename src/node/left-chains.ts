/**
 * Shared chains this node left while it held votes in them (a stranded
 * chain, see strandedStep), on disk. Leaving clears the chain's Paxos state,
 * so the node must never take part in that chain again: it would vote as if
 * it had never promised anything. A chain is a founder and its founding;
 * an entry without a founding stands for every founding of that founder
 * (one of our own chains is bound to its founding when loaded: see bindOwn),
 * one marked lostDatabase for every founding of ours not made with this
 * database. A chain left which holds no vote here is not recorded at all,
 * its founding known or not (SharedChainChoice.leftEntry).
 */
import type { BinarySublevel } from '../storage/database.ts'
import { SYNC_WRITE } from '../storage/database.ts'

export interface LeftChain {
  founder: string
  /** The founder's incarnation when it founded the chain (hex), if known. */
  founding?: string
  /**
   * Ours, founding unknown: a chain of ours we joined before any member said
   * its founding, so founded with a database of ours since lost (one founded
   * with this database is on record with its founding from the start). It
   * stands for every founding of ours but those made with this database: our
   * incarnation, and a refounding (random) made here. Those are chains this
   * database holds all our votes of, never the one left, so we may found them.
   */
  lostDatabase?: true
}

const LEFT_KEY = new TextEncoder().encode('shared-left')
/**
 * Each leave takes a chain that ranks better (strandedStep), and one holding no vote here is not recorded, so a
 * node records few. Past this no leave is made (SharedChainChoice.leaveStranded): an entry is never dropped to
 * make room, it would let the node vote again in a chain whose votes it cleared (until 2026-12-03 the oldest
 * of 64 went so). Some 120 bytes each.
 */
export const MAX_LEFT = 1_024

export class LeftChains {
  private readonly db: BinarySublevel
  private chains: LeftChain[] = []
  private own?: { self: string, incarnation: string }

  constructor (db: BinarySublevel) {
    this.db = db
  }

  /**
   * Reads the chains left; `own`: our peer id and our database's incarnation
   * (hex), to bind entries of our own chains kept without a founding (see bindOwn).
   */
  async load (own?: { self: string, incarnation: string }): Promise<void> {
    const stored = await this.db.get(LEFT_KEY)
    this.chains = stored == null ? [] : JSON.parse(new TextDecoder().decode(stored)) as LeftChain[]
    this.own = own
    if (own != null) await this.bindOwn(own.self, own.incarnation)
  }

  /**
   * An entry of ours without a founding (an earlier version's, made from a
   * record that had none) stood for every founding of ours, so we could
   * found no chain again, ever, nor keep a fresh one across a restart (load
   * in shared-chain-choice.ts would finish "leaving" it). It is bound to our
   * incarnation: that is the chain it names, so we still never take part in
   * it again. The entry lives in this database, so it was made from a record
   * of this database, and a record of ours without a founding is read as
   * founded with this database's incarnation (at load, and in each formation
   * step, before a leave can begin), unless it was joined before a member
   * said its founding (foundingUnknown), whose leave this version records as
   * lostDatabase, never bound here; the other chains under our id carry
   * their founding in the record and so in the entry: a refounded one's
   * random founding, and the one founded with an earlier, lost database, as
   * its members announce it. The fresh founding we make then is random: a
   * chain no one ever promised in. Another founder's entry stays unbound:
   * what we know of its founding (its incarnation on record) is what it is
   * now, not what it was when it founded (a founder that lost its database
   * since has another), and taking that would let us join the chain we left.
   */
  private async bindOwn (self: string, incarnation: string): Promise<void> {
    const unbound = (c: LeftChain): boolean => c.founder === self && c.founding == null && c.lostDatabase !== true
    if (!this.chains.some(unbound)) return
    const bound = this.chains.map(c => unbound(c) ? { founder: self, founding: incarnation } : c)
    this.chains = bound.filter((c, i) => bound.findIndex(d => d.founder === c.founder && d.founding === c.founding && d.lostDatabase === c.lostDatabase) === i)
    await this.save()
  }

  /**
   * Whether chain (founder, founding) is one we left; an unknown founding on
   * either side matches. `refounded`: the founding is one we made with this
   * database as a refounding (the record says so), which no lostDatabase
   * entry stands for.
   */
  has (founder: string, founding?: string, refounded = false): boolean {
    return this.chains.some(c => c.founder === founder && this.covers(c, founding, refounded))
  }

  private covers (c: LeftChain, founding: string | undefined, refounded: boolean): boolean {
    if (founding == null) return true
    if (c.lostDatabase === true) return !refounded && founding !== this.own?.incarnation
    return c.founding == null || c.founding === founding
  }

  /**
   * Records a chain as left, durably: before its state is cleared (a crash between must not run it again).
   * False: not recorded, MAX_LEFT chains are (the chain must not be left then).
   */
  async add (left: LeftChain): Promise<boolean> {
    // ours without a founding is one joined before a member said it (a record of ours of an earlier version
    // takes our incarnation before a leave can begin): founded with a database of ours since lost
    const chain: LeftChain = left.founder === this.own?.self && left.founding == null ? { founder: left.founder, lostDatabase: true } : left
    const same = (c: LeftChain): boolean => c.founder === chain.founder && c.founding === chain.founding && c.lostDatabase === chain.lostDatabase
    // already recorded, or within an entry that stands for every founding of that founder
    if (this.chains.some(c => same(c) || (c.founder === chain.founder && c.founding == null && c.lostDatabase !== true))) return true
    if (this.chains.length >= MAX_LEFT) return false
    const entry = { founder: chain.founder, ...(chain.founding == null ? {} : { founding: chain.founding }), ...(chain.lostDatabase === true ? { lostDatabase: true as const } : {}) }
    this.chains = [...this.chains, entry]
    await this.save()
    return true
  }

  private async save (): Promise<void> {
    await this.db.put(LEFT_KEY, new TextEncoder().encode(JSON.stringify(this.chains)), SYNC_WRITE)
  }

  get size (): number {
    return this.chains.length
  }
}
