/**
 * A simulated cluster of Paxos nodes with a driver that follows the Ready
 * contract, an adversarial network (loss, duplication, reordering,
 * partitions) and crashes that keep only what was persisted.
 *
 * Invariants are checked on every Ready, so a violation throws at the step
 * that caused it:
 * - a slot is never decided with two different values, on any node, ever
 *   (persisted decided entries and applied values both count);
 * - each node applies slots contiguously from 1, each once, across restarts;
 * - the persisted commit of a node never goes back, and a persisted decided
 *   entry never changes.
 */
import { compareBallots, createPaxos } from '../../../../src/consensus/index.ts'
import type {
  Candidate, Decided, Entry, HardState, Message, Paxos, PaxosConfig, PersistedState, Persist, Value
} from '../../../../src/consensus/index.ts'

export class InvariantError extends Error {
  static name = 'InvariantError'
  constructor (message = 'Invariant violated') {
    super(message)
    this.name = 'InvariantError'
  }
}

export function valueKey (v: Value): string {
  switch (v.kind) {
    case 'data': return `data:${v.id}:${Buffer.from(v.data).toString('hex')}`
    case 'noop': return 'noop'
    case 'booth': return `booth:${v.members.join(',')}`
  }
}

/** Short form for scenario files: `a`, `noop`, `booth:1,2,3`. */
export function valueLabel (v: Value): string {
  switch (v.kind) {
    case 'data': return v.id
    case 'noop': return 'noop'
    case 'booth': return `booth:${v.members.join(',')}`
  }
}

interface Store {
  hardState?: HardState
  entries: Map<number, Entry>
}

export interface SimNode {
  id: string
  config: PaxosConfig
  paxos?: Paxos
  store: Store
  /** The application's durable state: the values it applied, slot i at index i - 1. */
  applied: Decided[]
  /** Ids reported dropped by this node's Readies. */
  dropped: string[]
  /**
   * Ids this incarnation of the node took (propose() did not throw) and has
   * not yet applied or reported dropped: each must end one way or the other
   * while the node runs (a crash forgets them, as a driver's memory would).
   */
  open: Set<string>
  /** Leader reads by context: `index=N` once confirmed, `failed=reason`, or `pending`. */
  reads: Map<string, string>
}

export interface InFlight {
  msg: Message
  /** Sequence number, for stable ordering in scenario output. */
  seq: number
}

export interface ClusterOptions {
  configs: PaxosConfig[]
  /** Called with each node's Ready before the driver handles it (scenario logging). */
  onReady?: (id: string) => void
}

/** A driver's say on a message about to reach its node: false drops it (see Cluster.admit). */
export type Admit = (to: string, msg: Message) => boolean

function sameAcceptance (a: Entry, b: Entry): boolean {
  return a.ballot.round === b.ballot.round && a.ballot.proposer === b.ballot.proposer && valueKey(a.value) === valueKey(b.value)
}

export class Cluster {
  readonly nodes = new Map<string, SimNode>()
  /** Messages sent and not yet delivered or dropped. */
  net: InFlight[] = []
  /** Pairs "a|b" that cannot talk (both directions). */
  readonly cut = new Set<string>()
  /** slot → value key of every decision anyone made (or any value a quorum accepted). */
  readonly decided = new Map<number, string>()
  /**
   * The chosen-value oracle: every acceptance ever persisted, by slot. All
   * ballots of one slot must use the same booth (the window rule), and a
   * value is chosen as soon as a majority of that booth persisted it at one
   * ballot, whether or not anyone learned it yet.
   */
  readonly acceptances = new Map<number, { booth: string, byBallot: Map<string, { value: string, acceptors: Set<string> }> }>()
  /** How often each id was proposed (a propose() that did not throw). */
  readonly proposals = new Map<string, number>()
  /** Ids proposed once and reported dropped: they must never be chosen. */
  readonly droppedOnce = new Set<string>()
  /** Highest ballot each acceptor sent a promise for: it must never accept below it, even after a restart. */
  readonly promisedSent = new Map<string, { round: number, proposer: string }>()
  private seq = 0
  /** A driver's filter of inbound messages (the shared chain's forgetful peers, in the simulation). */
  admit?: Admit
  /**
   * Whether every node counts `acceptor`'s votes now (the forgetful peers: not one
   * that lost its database and is held back somewhere). Left out: every vote counts.
   */
  votes?: (acceptor: string) => boolean
  /**
   * Acceptances of members held back when they persisted them, by
   * "acceptor|slot|round.proposer": such a member forgot what it promised, so
   * what it accepts is no vote until the ballot's proposer admits its
   * `accepted` (then counted, as the driver counts it). Counted at once, a
   * wiped member that accepted a stale ballot's retransmission made the oracle
   * call a value chosen that no node could count (seed 8140948: n4, wiped after
   * promising 3.n3, accepted 2.n2's value, and n2 dropped its answer).
   */
  private readonly heldAcceptances = new Map<string, Entry>()
  /** Databases each node has had (wipe makes a new one): what its hellos show. */
  readonly incarnations = new Map<string, number>()
  /** "node|ctx" → the highest slot chosen anywhere when that leader read arrived. */
  private readonly chosenAtRead = new Map<string, number>()
  /** "node|ctx" → the highest slot applied anywhere (acknowledged) when that leader read arrived. */
  private readonly appliedAtRead = new Map<string, number>()
  /** The highest slot any node applied, over the whole run (crashes included). */
  private highestApplied = 0
  /** Leader reads confirmed, over the whole run. */
  confirmedReads = 0

  constructor (opts: ClusterOptions) {
    for (const config of opts.configs) {
      this.nodes.set(config.id, {
        id: config.id,
        config,
        paxos: createPaxos(config),
        store: { entries: new Map() },
        applied: [],
        dropped: [],
        open: new Set(),
        reads: new Map()
      })
    }
  }

  node (id: string): SimNode {
    const n = this.nodes.get(id)
    if (n == null) {
      throw new Error(`no node ${id}`)
    }
    return n
  }

  /** The running state machine of a node (throws when crashed). */
  paxos (id: string): Paxos {
    const p = this.node(id).paxos
    if (p == null) {
      throw new Error(`node ${id} is down`)
    }
    return p
  }

  up (id: string): boolean {
    return this.node(id).paxos != null
  }

  ids (): string[] {
    return [...this.nodes.keys()]
  }

  linked (a: string, b: string): boolean {
    return !this.cut.has(`${a}|${b}`)
  }

  /** Splits the nodes into groups that cannot talk to each other. */
  partition (groups: string[][]): void {
    this.cut.clear()
    for (const g of groups) {
      for (const h of groups) {
        if (g === h) {
          continue
        }
        for (const a of g) {
          for (const b of h) {
            this.cut.add(`${a}|${b}`)
          }
        }
      }
    }
  }

  heal (): void {
    this.cut.clear()
  }

  /** Starts a leader read at `id` (throws what readIndex throws), noting what was chosen by then. */
  readIndex (id: string, ctx: string): void {
    const n = this.node(id)
    n.paxos?.readIndex(ctx)
    this.chosenAtRead.set(`${id}|${ctx}`, Math.max(0, ...this.decided.keys()))
    this.appliedAtRead.set(`${id}|${ctx}`, this.highestApplied)
    n.reads.set(ctx, 'pending')
  }

  /** Notes a proposal the state machine at `at` took (a second one of an id may be chosen whatever became of the first). */
  proposed (id: string, at: string): void {
    this.node(at).open.add(id)
    this.proposals.set(id, (this.proposals.get(id) ?? 0) + 1)
    this.droppedOnce.delete(id)
  }

  /** A dropped proposal is never chosen: not before the report, nor after it. */
  private checkDropped (where: string, id: string): void {
    if (this.proposals.get(id) !== 1) return
    const prefix = `data:${id}:`
    for (const [slot, k] of this.decided) {
      if (k.startsWith(prefix)) throw new InvariantError(`${where} reported ${id} dropped, but it was chosen at slot ${slot}`)
    }
    this.droppedOnce.add(id)
  }

  /** Checks a decision against every decision made before. */
  checkDecision (where: string, slot: number, value: Value): void {
    const key = valueKey(value)
    if (value.kind === 'data' && this.droppedOnce.has(value.id)) {
      throw new InvariantError(`${value.id} chosen at slot ${slot} after it was reported dropped (${where})`)
    }
    const before = this.decided.get(slot)
    if (before == null) {
      this.decided.set(slot, key)
    } else if (before !== key) {
      throw new InvariantError(`slot ${slot} decided twice: ${before} and ${key} (${where})`)
    }
  }

  /**
   * Runs the driver once on a node: persist, send, apply, advance.
   * `crashAfter` simulates a crash right after persisting or right after sending.
   */
  process (id: string, crashAfter?: 'persist' | 'send'): boolean {
    const n = this.node(id)
    const p = n.paxos
    if (p == null) {
      return false
    }
    const rd = p.ready()
    if (rd == null) {
      return false
    }
    this.persist(n, rd.persist)
    if (crashAfter === 'persist') {
      this.crash(id)
      return true
    }
    for (const msg of rd.messages) {
      if (msg.from !== id) {
        throw new InvariantError(`${id} sent a message from ${msg.from}`)
      }
      if (msg.type === 'promise') {
        const before = this.promisedSent.get(id)
        if (before == null || compareBallots(msg.ballot, before) > 0) {
          this.promisedSent.set(id, { ...msg.ballot })
        }
      }
      this.net.push({ msg, seq: this.seq++ })
    }
    if (crashAfter === 'send') {
      this.crash(id)
      return true
    }
    for (const d of rd.decided) {
      this.apply(n, d)
    }
    // one reported `unknown` may have been chosen: not a claim to check
    const lost = rd.dropped.filter(d => d.unknown !== true)
    for (const d of lost) this.checkDropped(id, d.id)
    n.dropped.push(...lost.map(d => d.id))
    for (const d of rd.dropped) n.open.delete(d.id)
    for (const r of rd.reads) {
      // linearizability: a confirmed read's index covers every value chosen
      // before the read arrived, by any leader, learned by anyone or not. A
      // fixed proposer is its chain's only leader: a value it proposed and has
      // not decided was acknowledged to nobody, so its reads must cover every
      // value applied anywhere (every acknowledged one), and may leave out
      // what is in flight (a booth that lost its majority cannot decide it)
      const fixed = n.config.election.mode === 'fixed'
      const chosen = (fixed ? this.appliedAtRead : this.chosenAtRead).get(`${id}|${r.ctx}`) ?? 0
      if (r.index < chosen) {
        throw new InvariantError(`${id}: leader read ${r.ctx} confirmed at index ${r.index}, but slot ${chosen} was ${fixed ? 'applied' : 'chosen'} before it arrived`)
      }
      n.reads.set(r.ctx, `index=${r.index}`)
      this.confirmedReads++
    }
    for (const r of rd.failedReads) n.reads.set(r.ctx, `failed=${r.reason}`)
    p.advance(rd)
    if (rd.snapshot != null) {
      this.installSnapshot(n, rd.snapshot.from, rd.snapshot.slot, rd.snapshot)
    }
    return true
  }

  /** Runs the driver on every live node until none has a Ready. */
  processAll (): void {
    for (let guard = 0; guard < 10_000; guard++) {
      let any = false
      for (const id of this.nodes.keys()) {
        while (this.process(id)) {
          any = true
        }
      }
      if (!any) {
        return
      }
    }
    throw new Error('processAll does not settle')
  }

  /**
   * Delivers the in-flight message at `index`. A message to a node that is
   * down is lost; across a cut link it is lost, or with `holdCut` it stays
   * in flight (a buffered connection) and arrives after the partition heals.
   */
  deliver (index: number, keepCopy = false, holdCut = false): void {
    const item = this.net[index]
    const { msg } = item
    if (!this.linked(msg.from, msg.to) && holdCut) {
      return
    }
    if (!keepCopy) {
      this.net.splice(index, 1)
    }
    const target = this.nodes.get(msg.to)
    if (target?.paxos == null || !this.linked(msg.from, msg.to)) {
      return
    }
    if (this.admit != null && !this.admit(msg.to, msg)) return
    if (msg.type === 'accepted' && msg.to === msg.ballot.proposer) this.countHeldAcceptance(msg.from, msg.slot, msg.ballot)
    target.paxos.step(structuredClone(msg))
  }

  drop (index: number): void {
    this.net.splice(index, 1)
  }

  /** New candidates for a node (its restarts keep them too). */
  setCandidates (id: string, candidates: Candidate[]): void {
    const n = this.node(id)
    n.config = { ...n.config, election: { mode: 'elected', candidates } }
    n.paxos?.setCandidates(candidates)
  }

  /** Loses everything not persisted: the state machine and its undelivered output. */
  crash (id: string): void {
    const n = this.node(id)
    n.paxos = undefined
    n.open.clear()
  }

  /** Copies of data dirs (copyDisk), by node. */
  private readonly copies = new Map<string, { store: Store, applied: Decided[] }>()

  /** Takes a copy of a node's data dir: what it persisted and what its application applied. */
  copyDisk (id: string): void {
    const n = this.node(id)
    this.copies.set(id, structuredClone({ store: n.store, applied: n.applied }))
  }

  /**
   * Puts the copy back in place of a crashed node's data dir (restored from
   * an older image): the votes it cast since are gone. Its application goes
   * back with it. What it acknowledged meanwhile stays in the chosen-value
   * oracle, which is the point: nothing may be decided twice.
   */
  restoreDisk (id: string): void {
    const n = this.node(id)
    const copy = this.copies.get(id)
    if (n.paxos != null || copy == null) throw new Error(`${id} must be down and have a copy of its data dir`)
    const { store, applied } = structuredClone(copy)
    n.store = store
    n.applied = applied
    // the promises it made since are forgotten with its disk: what it promised now is what the copy says
    const promised = store.hardState?.promised
    if (promised != null) this.promisedSent.set(id, { ...promised })
    else this.promisedSent.delete(id)
  }

  /**
   * Crashes a node and loses its data dir for good (a vehicle whose disk was
   * replaced, its key kept): it comes back with nothing, as a new
   * incarnation. What it promised and accepted is gone with it; what it
   * acknowledged stays in the chosen-value oracle. Messages to and from it
   * in flight die with its connections.
   */
  wipe (id: string): void {
    const n = this.node(id)
    this.crash(id)
    n.store = { entries: new Map() }
    n.applied = []
    this.promisedSent.delete(id)
    this.incarnations.set(id, this.incarnation(id) + 1)
    // what it accepted is gone with its disk: its answers in flight die too (below)
    for (const key of this.heldAcceptances.keys()) if (key.startsWith(`${id}|`)) this.heldAcceptances.delete(key)
    this.net = this.net.filter(({ msg }) => msg.from !== id && msg.to !== id)
  }

  incarnation (id: string): number {
    return this.incarnations.get(id) ?? 0
  }

  /** Rebuilds a node from its persisted state and its application's applied slot. */
  restart (id: string): void {
    const n = this.node(id)
    if (n.paxos != null) {
      return
    }
    const state = this.load(n)
    n.paxos = createPaxos({ ...n.config, applied: state == null ? 0 : n.applied.length }, state)
  }

  load (n: SimNode): PersistedState | undefined {
    if (n.store.hardState == null) {
      return undefined
    }
    return structuredClone({
      hardState: n.store.hardState,
      entries: [...n.store.entries.values()].sort((a, b) => a.slot - b.slot)
    })
  }

  /** Compacts a node up to `slot` (≤ what it applied). */
  compact (id: string, slot: number): void {
    this.paxos(id).compact(slot)
  }

  /** Delivers and processes until the network is empty (bounded). Returns deliveries made. */
  stabilize (maxSteps = 100_000): number {
    let steps = 0
    this.processAll()
    while (this.net.length > 0) {
      if (++steps > maxSteps) {
        throw new Error('stabilize does not settle')
      }
      this.deliver(0)
      this.processAll()
    }
    return steps
  }

  private persist (n: SimNode, persist: Persist): void {
    if (persist.hardState != null) {
      const old = n.store.hardState
      if (old != null && persist.hardState.commit < old.commit) {
        throw new InvariantError(`${n.id}: persisted commit went back from ${old.commit} to ${persist.hardState.commit}`)
      }
      n.store.hardState = structuredClone(persist.hardState)
    }
    if (n.store.hardState == null) {
      throw new InvariantError(`${n.id}: entries persisted before any hard state`)
    }
    for (const e of persist.entries) {
      const old = n.store.entries.get(e.slot)
      if (old?.decided === true && (!e.decided || valueKey(old.value) !== valueKey(e.value))) {
        throw new InvariantError(`${n.id}: decided slot ${e.slot} rewritten`)
      }
      if (e.decided) {
        this.checkDecision(`${n.id} persisted`, e.slot, e.value)
      }
      const promised = this.promisedSent.get(n.id)
      if (!e.decided && promised != null && compareBallots(e.ballot, promised) < 0) {
        throw new InvariantError(`${n.id} accepted slot ${e.slot} at ${e.ballot.round}.${e.ballot.proposer} after promising ${promised.round}.${promised.proposer}`)
      }
      if (e.ballot.round > 0 && (old == null || !sameAcceptance(old, e))) {
        if (this.votes == null || this.votes(n.id)) this.recordAcceptance(n.id, e)
        else this.heldAcceptances.set(`${n.id}|${e.slot}|${e.ballot.round}.${e.ballot.proposer}`, structuredClone(e))
      }
      n.store.entries.set(e.slot, structuredClone(e))
    }
    if (persist.compactTo != null) {
      if (persist.compactTo > n.applied.length) {
        throw new InvariantError(`${n.id}: compacted ${persist.compactTo} beyond applied ${n.applied.length}`)
      }
      for (const slot of n.store.entries.keys()) {
        if (slot <= persist.compactTo) {
          n.store.entries.delete(slot)
        }
      }
    }
    for (const [slot, e] of n.store.entries) {
      if (slot <= n.store.hardState.commit && !e.decided) {
        throw new InvariantError(`${n.id}: slot ${slot} ≤ persisted commit is not decided`)
      }
    }
  }

  /** The ballot's proposer admitted a held-back member's `accepted`: its acceptance counts from now (see heldAcceptances). */
  private countHeldAcceptance (acceptor: string, slot: number, ballot: { round: number, proposer: string }): void {
    const key = `${acceptor}|${slot}|${ballot.round}.${ballot.proposer}`
    const e = this.heldAcceptances.get(key)
    if (e == null) return
    this.heldAcceptances.delete(key)
    this.recordAcceptance(acceptor, e)
  }

  private recordAcceptance (acceptor: string, e: Entry): void {
    const booth = [...e.booth].sort().join(',')
    let slot = this.acceptances.get(e.slot)
    if (slot == null) {
      slot = { booth, byBallot: new Map() }
      this.acceptances.set(e.slot, slot)
    }
    if (slot.booth !== booth) {
      throw new InvariantError(`slot ${e.slot} accepted under booths ${slot.booth} and ${booth}`)
    }
    const ballot = `${e.ballot.round}.${e.ballot.proposer}`
    const value = valueKey(e.value)
    let at = slot.byBallot.get(ballot)
    if (at == null) {
      at = { value, acceptors: new Set() }
      slot.byBallot.set(ballot, at)
    }
    if (at.value !== value) {
      throw new InvariantError(`slot ${e.slot} ballot ${ballot} carries two values: ${at.value} and ${value}`)
    }
    at.acceptors.add(acceptor)
    if (at.acceptors.size >= Math.floor(e.booth.length / 2) + 1 && e.booth.includes(acceptor)) {
      const members = e.booth.filter(m => at.acceptors.has(m)).length
      if (members >= Math.floor(e.booth.length / 2) + 1) {
        this.checkDecision(`chosen at ${ballot} by ${[...at.acceptors].join(',')}`, e.slot, e.value)
      }
    }
  }

  private apply (n: SimNode, d: Decided): void {
    if (d.slot !== n.applied.length + 1) {
      throw new InvariantError(`${n.id}: applied slot ${d.slot} after ${n.applied.length}`)
    }
    const entry = n.store.entries.get(d.slot)
    if (entry == null || !entry.decided) {
      throw new InvariantError(`${n.id}: applied slot ${d.slot} before persisting it as decided`)
    }
    this.checkDecision(`${n.id} applied`, d.slot, d.value)
    n.applied.push(d)
    this.highestApplied = Math.max(this.highestApplied, d.slot)
    if (d.value.kind === 'data') n.open.delete(d.value.id)
  }

  /** The driver's snapshot path: copy the application state from the peer (chain sync). */
  private installSnapshot (n: SimNode, from: string, slot: number, snapshot: { from: string, slot: number, booths: PersistedState['hardState']['booths'] }): void {
    const peer = this.nodes.get(from)
    if (peer == null || peer.applied.length < slot || !this.linked(n.id, from) || n.paxos == null) {
      return
    }
    for (let s = n.applied.length + 1; s <= slot; s++) {
      const d = peer.applied[s - 1]
      this.checkDecision(`${n.id} snapshot`, s, d.value)
      n.applied.push(d)
    }
    n.paxos.installSnapshot(snapshot)
  }
}
