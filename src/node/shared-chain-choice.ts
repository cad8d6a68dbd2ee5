/**
 * Which shared chain this node runs, and the durable record of it
 * (`Formation`): founding one, adopting a founder's, joining the one a
 * permissioned network's members run, leaving one stranded here. The rules
 * are shared-formation.ts's pure functions; this is their I/O, run one step
 * at a time from the driver's tick (a step closes and reopens the shared
 * replica, and saves with fsync). The driver reads the record for hellos,
 * elections and whose shared-chain messages count (sameChain).
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '@libp2p/interface'
import { toHex } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import type { BinarySublevel } from '../storage/database.ts'
import { SYNC_WRITE } from '../storage/database.ts'
import type { LevelPaxosStore } from '../storage/paxos-store.ts'
import type { HelloInfo } from '../protocols/paxos/index.ts'
import type { ChainReplica } from './paxos-replica.ts'
import { compareCandidates } from '../consensus/election.ts'
import { adoptableFounder, bestCandidate, formationStep, listedChainStep, mostNamed, strandedStep, PERMISSIONED_PREFIX } from './shared-formation.ts'
import type { PeerHello, PermissionedGenesis } from './shared-formation.ts'
import { FORMATION_DELAY, SHARED_CHAIN, STRANDED_DELAY } from './paxos-constants.ts'
import { LeftChains } from './left-chains.ts'
import type { LeftChain } from './left-chains.ts'
import { INCARNATION_BYTES } from './incarnations.ts'

export interface Formation {
  /** The founder's peer id, or a permissioned network's genesis id (PERMISSIONED_PREFIX…). */
  founder: string
  /** The founder announced it (its first booth change is decided); always true for adopters. */
  announced: boolean
  /**
   * A permissioned chain's genesis booth, kept with it: the chain goes on
   * if the allow list is later dropped or changed (records written before
   * it was kept lack it, and take it from a matching allow list or from the
   * booth the replica saved).
   */
  booth?: string[]
  /**
   * The founder's incarnation when it founded the chain (hex; founded
   * chains only, from its own database or the hello of a member that ran
   * it). A founder that lost its database and met none of its members
   * founded again under the same id, alone, and wrote other blocks at the
   * same heights (a review): with it, that is another chain, refused and
   * shown as a conflict. Undefined for records of earlier versions until a
   * member's hello says it (any matches meanwhile).
   */
  founding?: string
  /**
   * Joined when no member's hello said the founding yet (this version):
   * taken from the hellos of its members later, never from the founder's
   * incarnation on record, which is what it is now, not what it was when
   * it founded (a probe: a member wiped after the founder was took the
   * founder's new incarnation at its next restart, and split the chain).
   * A chain of ours joined so too: never our incarnation (see step).
   */
  foundingUnknown?: boolean
  /**
   * We founded this chain with a fresh founding, random, not our
   * incarnation: we had left the one we founded with this database (see
   * step). Such a founding is no sign that our database was lost since.
   */
  refounded?: boolean
}

/** What the choice needs of the node: its identity, stores, peers' hellos and the shared replica. */
export interface ChoiceHost {
  readonly self: string
  readonly log: Logger
  readonly priority: number
  readonly permissioned?: PermissionedGenesis
  readonly allowedPeers?: string[]
  readonly store: LevelPaxosStore
  readonly chains: ChainStore
  /** Where the record and the chains left are kept. */
  readonly db: BinarySublevel
  /** Connected members of our network, as peer id strings. */
  connectedMembers: () => string[]
  /** A peer's hello, as the driver keeps it. */
  hello: (peer: string) => HelloInfo | undefined
  /** Monotonic ms (a wall-clock step must not move the founding delays). */
  elapsed: () => number
  /** Our database's incarnation (hex). */
  incarnation: () => string
  /** A peer's incarnation on record (hex), if any. */
  incarnationOf: (peer: string) => string | undefined
  shared: () => ChainReplica | undefined
  openShared: () => Promise<ChainReplica>
  /** Closes the shared chain's replica and forgets it (what it saved stays). */
  closeShared: () => Promise<void>
  /** Our record names another chain, or none: what was learned about the slots of the old one goes. */
  chainChanged: () => Promise<void>
  /** Our hello may say something else now. */
  announce: () => void
}

const FORMATION_KEY = new TextEncoder().encode('shared-formation')
const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

export class SharedChainChoice {
  private readonly h: ChoiceHost
  /** Shared chains left while stranded (strandedStep): never taken again. */
  private readonly left: LeftChains
  private record?: Formation
  /** Since when our shared chain has been stranded here (elapsed ms), while it is. */
  private strandedSince?: number
  /** Said once a run: the connected members run only chains we left. */
  private saidOnlyLeft = false
  /** Our permissioned shared chain is known to hold something here: it is never left (joinListedChain). */
  private held = false
  /** Since when the view founding ranks by has stood still (see viewChanged). */
  private stableSince = 0

  constructor (host: ChoiceHost) {
    this.h = host
    this.left = new LeftChains(host.db)
  }

  /** The record of the shared chain this node runs, if any. */
  get formation (): Formation | undefined {
    return this.record
  }

  /** Connections or the ranks peers announce changed: founding waits FORMATION_DELAY again. */
  viewChanged (): void {
    this.stableSince = this.h.elapsed()
  }

  /**
   * Reads the record at start and settles what an earlier run left
   * unfinished: a leave cut short, a record of an earlier version, a
   * permissioned record made under another allow list.
   */
  async load (): Promise<void> {
    this.viewChanged()
    const stored = await this.h.db.get(FORMATION_KEY)
    if (stored != null) this.record = JSON.parse(utf8d.decode(stored)) as Formation
    await this.left.load({ self: this.h.self, incarnation: this.h.incarnation() })
    const was = this.record
    if (was != null && adoptableFounder(was.founder) && this.left.has(was.founder, was.founding, was.refounded === true)) {
      // a crash while leaving a stranded chain (leaveStranded records it first): finish leaving it
      this.h.log.error('the shared chain %s was being left (stranded here) when the node stopped: its state goes', was.founder)
      await this.dropSharedChain()
      await this.h.db.del(FORMATION_KEY, SYNC_WRITE)
    }
    const legacy = this.record
    if (legacy != null && legacy.founding == null && legacy.foundingUnknown !== true && adoptableFounder(legacy.founder)) {
      // a record of an earlier version: the founding is our incarnation, or the founder's we have on
      // record (met before any hello of this run: a founder that lost its database and founded again
      // would announce another, and a review's members took that one)
      const founding = legacy.founder === this.h.self ? this.h.incarnation() : this.h.incarnationOf(legacy.founder)
      if (founding != null) await this.save({ ...legacy, founding })
    }
    const permissioned = this.h.permissioned
    if (permissioned != null) {
      const current = { founder: permissioned.id, announced: true, booth: permissioned.booth }
      if (this.record == null) {
        await this.save(current)
      } else if (this.record.founder === permissioned.id) {
        if (this.record.booth == null) await this.save(current)
      } else if (!await this.sharedChainHeld()) {
        // formed under another list (a typo, a member added since) but nothing of it is here: no vote
        // of ours counts in it, so this node takes the chain of the list it has now (and drops the
        // genesis booth that chain's replica saved: reopened, a replica keeps its stored booth)
        this.h.log('the shared chain formed here under another allow list holds nothing: taking the current list\'s')
        await this.replace(current)
      } else {
        // its replicas persisted state under that chain's genesis: it cannot become another chain. Not an
        // error as such: after a member was added to every list, each member keeps the chain it holds and the
        // new one joins it (joinListedChain); only a member whose own chain holds something runs another
        this.h.log('the shared chain here was formed %s; it is kept (a member of the current list whose chain holds nothing joins it; one that holds another is shown under shared.conflicts in /status)',
          this.record.founder.startsWith(PERMISSIONED_PREFIX) ? 'under another allow list' : 'before the allow list was set')
      }
    }
  }

  /** Opens the shared chain the record names, at start (after load and our own chain). */
  async resume (): Promise<void> {
    if (this.record != null && this.genesis() == null) {
      // a record from before the booth was kept with it: the replica saved its genesis booth
      const booth = await this.storedGenesis()
      if (booth != null) await this.save({ ...this.record, booth })
    }
    if (this.record != null) {
      if (this.genesis() != null) await this.h.openShared()
      else this.h.log.error('the shared chain here (%s) was formed under an allow list this node no longer has, and its members are not on record: it is not run', this.record.founder)
    }
  }

  /** The shared chain's genesis booth: its founder alone, or a permissioned chain's members; undefined if not known here. */
  genesis (): string[] | undefined {
    const f = this.record
    if (f == null) return [this.h.self]
    if (!f.founder.startsWith(PERMISSIONED_PREFIX)) return [f.founder]
    return f.founder === this.h.permissioned?.id ? this.h.permissioned.booth : f.booth
  }

  /** Whether a hello names our shared chain: its id, and its founding when both sides know it. */
  sameChain (h: HelloInfo | undefined): boolean {
    const f = this.record
    if (f == null || h == null || h.sharedGenesis !== f.founder) return false
    return f.founding == null || h.sharedFounding == null || toHex(h.sharedFounding) === f.founding
  }

  /**
   * We founded our shared chain by id, not by database: ours was lost since (see PaxosDriver.openReplica).
   * A chain of ours joined before any member said its founding is one too: this database holds no record
   * of founding it (a chain founded with it is on record from the founding on), so it was founded with
   * one lost since, or refounded there, and our votes in it went with that database. Counting our own
   * promise there, a founder alone in its genesis booth decided blocks over the chain's (a test).
   */
  wipedFounder (): boolean {
    const f = this.record
    if (f?.founder !== this.h.self || f.refounded === true) return false
    return f.founding == null ? f.foundingUnknown === true : f.founding !== this.h.incarnation()
  }

  /**
   * The best-ranked of us and the connected members that said hello (see Hello.formingBest), but for those
   * that will found no chain: a member that refuses ours (Hello.sharedRefused: running none, it left every
   * chain its members run), and we ourselves when we are such a vehicle (onlyLeft) — announcing ourselves,
   * or a member running a chain we left, we kept a vehicle that meets the others through us alone waiting
   * for a founding nobody makes.
   * Undefined: none is left.
   */
  formingBest (): { peer: string, priority: number } | undefined {
    // such a vehicle names none of the members whose chains it left either: they found nothing, they run one
    const none = this.onlyLeft()
    const members = this.h.connectedMembers().flatMap(id => {
      const h = this.h.hello(id)
      return h == null || h.sharedRefused === true || (none && h.sharedGenesis !== '') ? [] : [{ id, priority: h.priority }]
    })
    const best = none ? members.sort(compareCandidates)[0] : bestCandidate(this.h.self, this.h.priority, members)
    return best == null ? undefined : { peer: best.id, priority: best.priority }
  }

  /**
   * What tells whether we refuse the shared chain a peer's hello names (Hello.sharedRefused): one we left
   * (we cleared our votes there and take no part in it for good), or any while we run none because every
   * chain our connected members run is one we left (onlyLeft: we take none of them and found none). Its
   * members then give us no booth seat and no candidacy, and drop a seat we hold: we would refuse every
   * message of that chain, and the seat would count against its majority for good.
   */
  refusal (): (h: HelloInfo | undefined) => boolean {
    // once for every hello asked about: it reads every connected member's
    const none = this.onlyLeft()
    return (h) => {
      if (h != null && this.sameChain(h)) return false
      if (h != null && adoptableFounder(h.sharedGenesis) && this.left.has(h.sharedGenesis, h.sharedFounding == null ? undefined : toHex(h.sharedFounding))) return true
      return none
    }
  }

  /** We run no shared chain, and the connected members run only chains we left (formationStep waits so: `left`). */
  private onlyLeft (): boolean {
    if (this.record != null) return false
    const named = this.h.connectedMembers().flatMap(id => {
      const h = this.peerHello(id)
      return h != null && adoptableFounder(h.sharedGenesis) ? [h] : []
    })
    return named.length > 0 && named.every(h => this.left.has(h.sharedGenesis, h.founding))
  }

  /** One formation step (the driver runs one at a time, every second). */
  async step (): Promise<void> {
    if (this.h.permissioned != null) {
      await this.joinListedChain()
      return
    }
    if (this.record != null) {
      const was = this.record
      if (was.founding == null && adoptableFounder(was.founder)) {
        // a record of an earlier version: ours was founded with this database (a chain founded with it is on
        // record from its founding on), so its founding is our incarnation; another founder's is what a member
        // of the chain says. One joined before a member said it, ours too, learns it from the members alone:
        // a chain of ours we joined was founded with a database of ours since lost, not with our incarnation
        // (taking that, a founder and the members that learnt it from its hello ran another chain than the
        // members that knew the founding: a test)
        const unknown = was.foundingUnknown === true
        const founding = was.founder === this.h.self && !unknown ? this.h.incarnation() : this.foundingOf(was.founder, !unknown)
        if (founding != null) {
          const { foundingUnknown: _, ...rest } = was
          await this.save({ ...rest, founding })
        }
      }
      // as saved just now: a leave records the founding learnt
      const f = this.record
      if (f.announced) {
        await this.leaveStranded(f)
        return
      }
      const shared = this.h.shared()
      // the founder announces once its booth is more than itself
      if (shared != null && shared.status().booth.length > 1) {
        await this.save({ ...f, announced: true })
        this.h.log('shared chain founded and announced')
        return
      }
      // an unannounced founding lost to a chain others already run: join theirs (ours holds nothing)
      const others = this.h.connectedMembers().map(id => this.h.hello(id)?.sharedGenesis ?? '').filter(adoptableFounder)
      if (others.length > 0 && (shared == null || shared.status().height === 0)) {
        this.h.log('dropping our unannounced shared chain for the one peers run')
        await this.dropSharedChain()
      } else {
        return
      }
    }
    const step = formationStep({
      self: this.h.self,
      priority: this.h.priority,
      peers: this.h.connectedMembers().map(id => ({ id, hello: this.peerHello(id) })),
      now: this.h.elapsed(),
      stableSince: this.stableSince,
      delay: FORMATION_DELAY,
      left: (chain) => this.left.has(chain.founder, chain.founding)
    })
    if (step.action === 'wait' && step.left === true && !this.saidOnlyLeft) {
      this.saidOnlyLeft = true
      this.h.log.error('the connected members run only shared chains this node left (stranded here before): it takes none of them, and has no shared chain until a member of another connects')
    }
    if (step.action === 'wait' || this.record != null) return
    if (step.action === 'adopt') {
      const founding = this.foundingOf(step.founder, false)
      // none of them says a founding we did not leave: an unknown one would match the one we left
      if (this.left.has(step.founder, founding)) return
      await this.save({ founder: step.founder, announced: true, ...(founding == null ? { foundingUnknown: true } : { founding }) })
      this.h.log('joined the shared chain founded by %s', step.founder)
      await this.h.openShared()
      return
    }
    const founding = this.freshFounding()
    await this.save({ founder: this.h.self, announced: false, ...founding })
    this.h.log(founding.refounded === true ? 'founding a fresh shared chain (we left the one founded with this database)' : 'founding the shared chain')
    const shared = await this.h.openShared()
    shared.campaign()
    shared.checkBooth()
  }

  /**
   * The founding of a chain we found now: our incarnation, unless we founded
   * one with this database and left it. Founding that again would be that
   * chain, our votes in it forgotten; and waiting, as this node did, stalled
   * formation for good, since the others wait for the best-ranked to found.
   * A random founding makes it another chain under our id, as a founder that
   * lost its database makes one. (An entry of ours without a founding, which
   * stood for every chain of ours and kept us from founding any, is bound to
   * our incarnation when loaded: LeftChains.bindOwn.)
   */
  private freshFounding (): { founding: string, refounded?: true } {
    const incarnation = this.h.incarnation()
    if (!this.left.has(this.h.self, incarnation)) return { founding: incarnation }
    return { founding: toHex(randomBytes(INCARNATION_BYTES)), refounded: true }
  }

  private async save (f: Formation): Promise<void> {
    await this.h.db.put(FORMATION_KEY, utf8.encode(JSON.stringify(f)), SYNC_WRITE)
    // readmissions are about slots of a chain: those of the one left mean nothing on this one
    if (this.record != null && this.record.founder !== f.founder) await this.h.chainChanged()
    this.record = f
    this.h.announce()
  }

  /** Leaves the shared chain this node holds nothing of: its replica closes, and what it saved goes. */
  private async dropSharedChain (): Promise<void> {
    await this.h.closeShared()
    await this.h.store.storage(SHARED_CHAIN).clear()
    this.record = undefined
    await this.h.chainChanged()
  }

  /** Takes another shared chain in place of one this node holds nothing of. */
  private async replace (f: Formation): Promise<void> {
    await this.dropSharedChain()
    await this.save(f)
  }

  /**
   * Whether this node holds anything of its shared chain: a block, or a vote
   * (a promise, an accepted value, a decided slot). A replica opened and
   * never asked anything saves its genesis alone: that holds nothing.
   */
  private async sharedChainHeld (): Promise<boolean> {
    if ((await this.h.chains.tip(SHARED_CHAIN)).height > 0) return true
    if (!(await this.h.store.chains()).includes(SHARED_CHAIN)) return false
    // the hard state and one key: load() would index the live replica's entries under it
    const storage = this.h.store.storage(SHARED_CHAIN)
    const hard = await storage.hardState()
    if (hard != null && (hard.promised.round > 0 || hard.round > 0 || hard.commit > 0 || hard.compacted > 0)) return true
    return await storage.hasEntries()
  }

  /** The shared chain's genesis booth as its replica saved it (its first booth epoch), if any. */
  private async storedGenesis (): Promise<string[] | undefined> {
    if (!(await this.h.store.chains()).includes(SHARED_CHAIN)) return undefined
    const first = (await this.h.store.storage(SHARED_CHAIN).hardState())?.booths[0]
    return first?.slot === 1 && first.members.length > 0 ? [...first.members] : undefined
  }

  /** A peer's hello as the founding rules read it (shared-formation.ts). */
  private peerHello (id: string): PeerHello | undefined {
    const h = this.h.hello(id)
    if (h == null) return undefined
    const { sharedFounding, incarnation: _, readmitted: __, heldBack: ___, ...rest } = h
    return sharedFounding == null ? rest : { ...rest, founding: toHex(sharedFounding) }
  }

  /**
   * A permissioned member whose shared chain holds nothing here (no vote, no
   * block) joins the chain its connected members run, when it is another
   * (listedChainStep: it was added to the allow lists after that chain
   * began, and its own list makes another genesis id). Its chain holding
   * anything, it keeps it: a member that forgot a promise must never vote in
   * that chain again.
   */
  private async joinListedChain (): Promise<void> {
    const f = this.record
    const permissioned = this.h.permissioned
    if (f == null || permissioned == null) return
    const { id: winner, booth } = listedChainStep({
      mine: { id: f.founder, booth: this.genesis() ?? [] },
      peers: this.h.connectedMembers().flatMap(id => this.peerHello(id) ?? []),
      allowed: new Set([...permissioned.booth, ...(this.h.allowedPeers ?? []), this.h.self])
    })
    if (winner === f.founder || this.held) return
    // closed before the check: a replica still running could vote between the check and the clear
    await this.h.closeShared()
    if (await this.sharedChainHeld()) {
      this.held = true
      this.h.log('the connected members run the shared chain %s; ours, %s, holds state here and is kept', winner, f.founder)
    } else {
      this.h.log('joining the shared chain %s that the connected members run (ours, %s, holds nothing)', winner, f.founder)
      await this.replace({ founder: winner, announced: true, booth })
    }
    await this.h.openShared()
  }

  /**
   * The founding of chain `founder` as the connected members that run it say
   * (the most of them), if any does, never one of a chain we left. For a record of an earlier version
   * (`onRecord`), not one other than the founder's incarnation we have on
   * record: a founder that lost its database and founded again announces
   * its new one, and such a record took that one for its chain's (a review).
   * Not when joining: the incarnation on record is then the founder's now,
   * heard this run, and after the founder lost its database it is not the
   * founding its members announce (a probe: every one was dropped).
   */
  private foundingOf (founder: string, onRecord: boolean): string | undefined {
    const known = founder === this.h.self || !onRecord ? undefined : this.h.incarnationOf(founder)
    const said = this.h.connectedMembers().flatMap(id => {
      const h = this.peerHello(id)
      return h?.sharedGenesis === founder && h.founding != null ? [h.founding] : []
    })
    return mostNamed(said.filter(founding => (known == null || founding === known) && !this.left.has(founder, founding)), 'smaller')
  }

  /**
   * What to record of chain `f` as we leave it (its replica closed): the
   * chain, never to be taken part in again, since its votes are about to go.
   * Nothing, if no vote of ours in it is on disk (no promise, no accepted or
   * decided slot, no block): nothing is forgotten, so taking part in it again
   * is as safe as for a vehicle that never met it. Votes go out only once
   * saved, and the replica is closed, so none can follow the check. (Until
   * 2026-12-03 this held only for a chain without a founding: one with a
   * founding was recorded all the same, and the vehicle was shut out of a
   * chain it could safely join.) Else its founding, when the record has it
   * (the formation step before the leave took any a member said). Without
   * one, the record of a chain joined before a member said it:
   * - ours: lostDatabase, every founding of ours but those made with this
   *   database (a chain of ours we joined was founded with one since lost), so
   *   we still found fresh chains.
   * - another founder's: every founding of that founder, for good. No sound
   *   narrower entry exists: a founding is random bytes, so nothing tells the
   *   chain left from one that founder founds later; the founder's incarnation
   *   on record or heard is its database's now, which a founder that lost its
   *   database, or refounded, since founding the chain left does not share
   *   (binding to it would let us take part in that chain again, votes forgotten).
   */
  private async leftEntry (f: Formation): Promise<LeftChain | undefined> {
    if (!await this.sharedChainHeld()) return undefined
    if (f.founding != null) return { founder: f.founder, founding: f.founding }
    return f.founder === this.h.self ? { founder: f.founder, lostDatabase: true } : { founder: f.founder }
  }

  /**
   * Leaves our shared chain for the one our connected members run when ours
   * is stranded here (strandedStep): no block of it here, no leader, and
   * none of them runs it, for STRANDED_DELAY. Its replica closed, recorded as
   * left (leftEntry), then its state cleared, then the other taken: a crash at
   * any point never runs it again with its votes forgotten (load() finishes a
   * leave cut short; one cut before the entry finds the state still there).
   */
  private async leaveStranded (f: Formation): Promise<void> {
    const status = this.h.shared()?.status()
    const idle = adoptableFounder(f.founder) && status?.leader == null && (status?.height ?? 0) === 0
    const target = idle
      ? strandedStep({
        mine: { founder: f.founder, founding: f.founding },
        peers: this.h.connectedMembers().flatMap(id => {
          const h = this.peerHello(id)
          return h == null || !adoptableFounder(h.sharedGenesis) ? [] : [{ founder: h.sharedGenesis, founding: h.founding }]
        }),
        left: (chain) => this.left.has(chain.founder, chain.founding)
      })
      : undefined
    if (target == null) {
      this.strandedSince = undefined
      return
    }
    this.strandedSince ??= this.h.elapsed()
    if (this.h.elapsed() - this.strandedSince < STRANDED_DELAY || (await this.h.chains.tip(SHARED_CHAIN)).height > 0) return
    this.strandedSince = undefined
    this.h.log.error('our shared chain %s is stranded here (no block, no leader, and no connected member runs it): leaving it for %s, which they run', f.founder, target.founder)
    // closed before the check: a replica still running could vote between the check and the clear
    await this.h.closeShared()
    const entry = await this.leftEntry(f)
    if (entry != null && !await this.left.add(entry)) {
      // no room to record it, and a chain left unrecorded could be voted in again with its votes cleared
      this.h.log.error('our shared chain %s is stranded here, but %d chains left are on record already, the most kept: it is not left', f.founder, this.left.size)
      await this.h.openShared()
      return
    }
    await this.dropSharedChain()
    await this.save({ founder: target.founder, announced: true, ...(target.founding == null ? { foundingUnknown: true } : { founding: target.founding }) })
    await this.h.openShared()
  }
}
