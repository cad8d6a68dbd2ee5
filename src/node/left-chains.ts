/**
 * Shared chains this node left while it held votes in them (a stranded
 * chain, see strandedStep), on disk. Leaving clears the chain's Paxos state,
 * so the node must never take part in that chain again: it would vote as if
 * it had never promised anything. A chain is a founder and its founding;
 * an entry without a founding stands for every founding of that founder.
 */
import type { BinarySublevel } from '../storage/database.ts'
import { SYNC_WRITE } from '../storage/database.ts'

export interface LeftChain {
  founder: string
  /** The founder's incarnation when it founded the chain (hex), if known. */
  founding?: string
}

const LEFT_KEY = new TextEncoder().encode('shared-left')
/** Each leave takes a chain that ranks better (strandedStep), so a node leaves few; the oldest go past this. */
const MAX_LEFT = 64

export class LeftChains {
  private readonly db: BinarySublevel
  private chains: LeftChain[] = []

  constructor (db: BinarySublevel) {
    this.db = db
  }

  async load (): Promise<void> {
    const stored = await this.db.get(LEFT_KEY)
    this.chains = stored == null ? [] : JSON.parse(new TextDecoder().decode(stored)) as LeftChain[]
  }

  /** Whether chain (founder, founding) is one we left; an unknown founding on either side matches. */
  has (founder: string, founding?: string): boolean {
    return this.chains.some(c => c.founder === founder && (c.founding == null || founding == null || c.founding === founding))
  }

  /** Records a chain as left, durably: before its state is cleared (a crash between must not run it again). */
  async add (chain: LeftChain): Promise<void> {
    if (this.chains.some(c => c.founder === chain.founder && (c.founding == null || c.founding === chain.founding))) return
    this.chains = [...this.chains, { founder: chain.founder, ...(chain.founding == null ? {} : { founding: chain.founding }) }].slice(-MAX_LEFT)
    await this.db.put(LEFT_KEY, new TextEncoder().encode(JSON.stringify(this.chains)), SYNC_WRITE)
  }

  get size (): number {
    return this.chains.length
  }
}
