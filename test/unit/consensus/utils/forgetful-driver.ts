/**
 * The shared chain driver's rule for members that lost their database
 * (src/node/forgetful-peers.ts, applied by PaxosDriver), replayed over a
 * simulated cluster: what the driver keeps durably (the incarnation it
 * remembers of each peer, the readmissions it announced) survives a crash
 * and dies with a wipe; the rest is memory. Hellos are modelled as each
 * node's announcements, holds and records of incarnations reaching the nodes
 * it is linked to, and a peer's incarnation as noticed with its first
 * message (a hello comes first). The model passes on every record a node
 * holds; the driver those of its booth and its connected members (64 at
 * most): a record of a member neither in the booth nor linked is more than
 * the driver sends.
 */
import { ForgetfulPeers } from '../../../../src/node/forgetful-peers.ts'
import type { Readmission } from '../../../../src/node/forgetful-peers.ts'
import type { Message } from '../../../../src/consensus/index.ts'
import type { Cluster } from './cluster.ts'

interface NodeModel {
  /** Durable: each peer's incarnation as first met, or as readmitted. */
  known: Map<string, number>
  /** Durable: what the node announced it readmitted. */
  announced: Readmission[]
  /** Memory (lost in a crash): the state machine it belongs to, to tell a restart. */
  instance?: object
  peers?: ForgetfulPeers
  read?: { token: number, ctx: string }
}

export class ForgetfulDriver {
  private readonly nodes = new Map<string, NodeModel>()
  private reads = 0
  /** Readmissions made, over the run. */
  readmitted = 0
  /** Messages dropped because their sender was held back, over the run. */
  dropped = 0

  constructor (private readonly cluster: Cluster) {
    // every node has met every other before the run begins
    for (const id of cluster.ids()) {
      this.nodes.set(id, { known: new Map(cluster.ids().filter(p => p !== id).map(p => [p, 0])), announced: [] })
    }
    cluster.admit = (to, msg) => this.admit(to, msg)
    // a member held back anywhere votes only where its answers are admitted (Cluster.heldAcceptances)
    cluster.votes = (acceptor) => !this.heldAnywhere().has(acceptor)
  }

  /** The node lost its database: its records go with it. */
  wiped (id: string): void {
    this.nodes.set(id, { known: new Map(), announced: [] })
  }

  /** Every node's record of every other shows that node's current database: no one is held back anywhere. */
  settled (): boolean {
    for (const m of this.nodes.values()) {
      if ((m.peers?.peers().length ?? 0) > 0) return false
      // a peer not met since a wipe is recorded at its first message, as it is now
      for (const [p, known] of m.known) {
        if (known !== this.cluster.incarnation(p)) return false
      }
    }
    return true
  }

  /** Members some running node holds back, or has not readmitted (its record shows an older database). */
  heldAnywhere (): Set<string> {
    const out = new Set<string>()
    for (const m of this.nodes.values()) {
      for (const p of m.peers?.peers() ?? []) out.add(p)
      for (const [p, known] of m.known) if (known !== this.cluster.incarnation(p)) out.add(p)
    }
    return out
  }

  /** Members held back anywhere, for failure messages. */
  describe (): string {
    return [...this.nodes].map(([id, m]) => `${id} holds [${m.peers?.peers().join(',') ?? ''}] known ${[...m.known].map(([p, i]) => `${p}#${i}`).join(',')}`).join('; ')
  }

  private model (id: string): NodeModel & { peers: ForgetfulPeers } {
    const m = this.nodes.get(id)
    if (m == null) throw new Error(`no node ${id}`)
    const instance = this.cluster.node(id).paxos
    if (m.instance !== instance) {
      // a node (re)started: its memory is new, its announcements were kept
      m.instance = instance
      m.peers = new ForgetfulPeers(m.announced)
      m.read = undefined
    }
    return m as NodeModel & { peers: ForgetfulPeers }
  }

  /** A hello from `from` reached `to`: its incarnation, recorded at first (as Incarnations.remember) or compared. */
  private hello (to: string, from: string): NodeModel & { peers: ForgetfulPeers } {
    const m = this.model(to)
    const shown = this.cluster.incarnation(from)
    const known = m.known.get(from)
    if (known == null) {
      m.known.set(from, shown)
      if (m.peers.holds(from)) m.peers.notice(from, String(shown), '')
    } else {
      m.peers.notice(from, String(shown), String(known))
    }
    return m
  }

  private admit (to: string, msg: Message): boolean {
    const m = this.hello(to, msg.from)
    if (m.peers.admits(msg.from, msg.type)) return true
    this.dropped++
    return false
  }

  /** What the driver does on its ticks, for every node that runs: hellos, readmissions, leader reads. */
  step (): void {
    for (const id of this.cluster.ids()) {
      if (!this.cluster.up(id)) continue
      const m = this.model(id)
      for (const other of this.cluster.ids()) {
        if (other !== id && this.cluster.up(other) && this.cluster.linked(id, other)) {
          this.hello(id, other)
          const theirs = this.model(other)
          m.peers.hear(other, theirs.announced)
          // its records of members this node has none of (ForgetfulMembers.adoptRecords): one that shows
          // another incarnation later is held back here too
          for (const [p, inc] of theirs.known) if (p !== id && p !== other && !m.known.has(p)) m.known.set(p, inc)
          for (const h of theirs.peers.heldBack()) if (h.peer !== id) m.peers.heldElsewhere(h.peer, h.incarnation)
        }
      }
      const st = this.cluster.paxos(id).status()
      this.note(m, m.peers.caughtUp(st.commit))
      for (const { from, slot } of m.peers.behind(st.commit)) this.cluster.paxos(id).catchUpFrom(from, slot)
      if (m.read != null) {
        const outcome = this.cluster.node(id).reads.get(m.read.ctx)
        if (outcome?.startsWith('failed=') === true) {
          m.peers.confirmationFailed(m.read.token)
          m.read = undefined
        } else if (outcome?.startsWith('index=') === true && this.cluster.node(id).applied.length >= Number(outcome.slice(6))) {
          this.note(m, m.peers.confirmed(m.read.token, st.commit))
          m.read = undefined
        }
      }
      if (m.read == null && st.role === 'leader') {
        const token = m.peers.startConfirmation()
        if (token == null) continue
        const ctx = `readmit-${id}-${this.reads++}`
        try {
          this.cluster.readIndex(id, ctx)
          m.read = { token, ctx }
        } catch {
          m.peers.confirmationFailed(token)
        }
      }
    }
  }

  private note (m: NodeModel & { peers: ForgetfulPeers }, readmitted: Readmission[]): void {
    for (const r of readmitted) {
      m.known.set(r.peer, Number(r.incarnation))
      this.readmitted++
    }
    if (readmitted.length > 0) m.announced = m.peers.announcements()
  }
}
