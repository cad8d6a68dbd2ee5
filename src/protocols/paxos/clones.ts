/**
 * Two processes that run one identity: a vehicle's data dir copied, its
 * peer.key with it (a docker volume or a VM image cloned to make another
 * vehicle). Both are the proposer of one chain and one acceptor in others'
 * booths, under the same ballots; a probe had both acknowledge different
 * blocks at one height, replicated "complete", and the shared chain fork
 * three ways. Nothing in Paxos can tell them apart: a third node can, by the
 * random instance each process sends in its hellos (Hello.instance, drawn at
 * start).
 *
 * A peer is a clone while two of its instances speak: one that another took
 * over from speaks again (a restarted process never does), within `window`.
 * A new instance while an older one still has a stream open is held too, until
 * that stream closes (a restart: the kernel closes a killed process's
 * sockets) or the older one speaks (a clone). The transport drops what a
 * held peer says and the node stops counting it as a member, so neither
 * process gets a vote here; once one of them stops, the other is heard alone
 * for `window` and counts again.
 *
 * A host that crashed or lost power closes nothing: its connections stay open
 * here until liveness gives up on them (~15–20 s), and a vehicle back from
 * such a restart was held, and reported as a clone, all that time. So the
 * transport asks each connection that carries an older instance's stream
 * (olderConnections) with a muxer ping: no answer, and it hangs that
 * connection up (its streams close, the hold ends); an answer means a
 * process runs behind it, a clone (answered). Only then, or once two
 * instances speak, is the peer *confirmed*: reported in logs, events,
 * /status and hellos. A held peer that is not confirmed is only waited on.
 */

/** How long (ms) an instance that stopped speaking still counts. */
export const CLONE_WINDOW = 30_000
/** Peers and instances tracked at most (a peer's newest ones are kept). */
const MAX_INSTANCES = 4
/** An instance is 16 random bytes (Hello.instance), in hex. */
const INSTANCE_HEX = 32

/** Another length is none: a build that sends none (''), or a peer whose ids would only take memory here. */
function tracked (instance: string): boolean {
  return instance.length === INSTANCE_HEX
}

interface Instance {
  /** When it first spoke (ms). */
  first: number
  /** When it last spoke (ms). */
  last: number
  /** Its inbound streams open now, by the id of the connection that carries them. */
  open: Map<string, number>
  /** A ping on a connection that carries one of its streams was answered while a newer instance spoke: a process runs behind it. */
  answered: boolean
}

export class CloneWatch {
  private readonly peers = new Map<string, Map<string, Instance>>()
  private readonly now: () => number
  private readonly window: number

  constructor (now: () => number = performance.now.bind(performance), window = CLONE_WINDOW) {
    this.now = now
    this.window = window
  }

  /** An inbound stream from `peer` over `connection` (its id) that began with `instance` (hex; '' for a build that sends none, or of another length: not tracked). */
  opened (peer: string, instance: string, connection: string): void {
    if (!tracked(instance)) return
    const i = this.instance(peer, instance)
    i.open.set(connection, (i.open.get(connection) ?? 0) + 1)
  }

  /** That stream closed. */
  closed (peer: string, instance: string, connection: string): void {
    const i = this.peers.get(peer)?.get(instance)
    const open = i?.open.get(connection)
    if (i == null || open == null) return
    if (open > 1) i.open.set(connection, open - 1)
    else i.open.delete(connection)
  }

  /** A ping on `connection` answered: the instance whose stream it carries runs (see the top of this file). */
  answered (peer: string, connection: string): void {
    for (const i of this.peers.get(peer)?.values() ?? []) if (i.open.has(connection)) i.answered = true
  }

  /** The connections that carry an older instance's streams while a newer one speaks, not answered yet: each is to be asked whether a process runs behind it. */
  olderConnections (peer: string): string[] {
    return this.olderOpen(peer).filter(i => !i.answered).flatMap(i => [...i.open.keys()])
  }

  /** `peer` spoke on a stream that began with `instance`. */
  heard (peer: string, instance: string): void {
    if (!tracked(instance)) return
    this.instance(peer, instance).last = this.now()
  }

  /** Whether what `peer` says is to be dropped now: two of its instances speak, or a new one while an older one's stream is open. */
  held (peer: string): boolean {
    // every frame asks: one instance (every honest peer) is no clone
    if ((this.peers.get(peer)?.size ?? 0) < 2) return false
    return this.cloned(peer) || this.overlapping(peer)
  }

  /** Whether two of `peer`'s instances spoke within the window, the older one after the newer appeared. */
  cloned (peer: string): boolean {
    const all = this.live(peer)
    return all.some(a => all.some(b => a !== b && a.first < b.first && a.last >= b.first))
  }

  /** Whether `peer` is held as two processes for certain: two of its instances spoke, or an older one whose stream is open answered a ping (the top of this file). */
  confirmed (peer: string): boolean {
    if ((this.peers.get(peer)?.size ?? 0) < 2) return false
    return this.cloned(peer) || this.olderOpen(peer).some(i => i.answered)
  }

  /** Peers held now. */
  heldPeers (): string[] {
    return [...this.peers.keys()].filter(p => this.held(p))
  }

  /** Peers held now for certain (see confirmed). */
  confirmedPeers (): string[] {
    return [...this.peers.keys()].filter(p => this.confirmed(p))
  }

  /** Forgets a peer's instances that have not spoken within the window, and peers left with none. */
  prune (): void {
    const since = this.now() - this.window
    for (const [peer, instances] of this.peers) {
      for (const [id, i] of instances) if (i.last < since && i.open.size === 0) instances.delete(id)
      if (instances.size === 0) this.peers.delete(peer)
    }
  }

  /** A newer instance speaks while an older one, silent since, still has a stream open. */
  private overlapping (peer: string): boolean {
    return this.olderOpen(peer).length > 0
  }

  /** The live instances of `peer` older than its newest that still have a stream open. */
  private olderOpen (peer: string): Instance[] {
    const all = this.live(peer)
    const newest = all.reduce<Instance | undefined>((n, i) => n == null || i.first > n.first ? i : n, undefined)
    return all.filter(i => i !== newest && i.open.size > 0)
  }

  private live (peer: string): Instance[] {
    const since = this.now() - this.window
    return [...(this.peers.get(peer)?.values() ?? [])].filter(i => i.last >= since || i.open.size > 0)
  }

  private instance (peer: string, id: string): Instance {
    let instances = this.peers.get(peer)
    if (instances == null) {
      instances = new Map()
      this.peers.set(peer, instances)
    }
    let i = instances.get(id)
    if (i == null) {
      const now = this.now()
      i = { first: now, last: now, open: new Map(), answered: false }
      instances.set(id, i)
      // a peer's oldest instances go first (a peer cannot grow the map without bound)
      while (instances.size > MAX_INSTANCES) {
        const oldest = [...instances.entries()].reduce((o, e) => e[1].first < o[1].first ? e : o)
        instances.delete(oldest[0])
      }
    }
    return i
  }
}
