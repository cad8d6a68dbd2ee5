/**
 * Reads of any chain at a consistency — what `node.get` and `node.getBlock`
 * do: `local` (this node's copy), `leader` (the chain's proposer: the
 * vehicle, or the shared chain's leader, which confirms with its booth that
 * it still leads) and `quorum` (Nr holders agree; see quorum-read.ts).
 * Holders of a vehicle's chain are the vehicle and the active backups of its
 * backup table; of the shared chain, its booth and leader.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Block } from '../chain/index.ts'
import { ChainNotFoundError } from '../storage/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { LinkedSignal } from '../protocols/stream.ts'
import { ReadRequest, readRequest } from '../protocols/read/index.ts'
import type { ReadResponse } from '../protocols/read/index.ts'
import { NodeStoppedError } from './errors.ts'
import { canonicalPeerId, chainIdProblem } from './peer-ids.ts'
import { checkReadKey } from './read-key.ts'
import { shownNumber } from './config.ts'
import type { VGuardDB } from './vguarddb.ts'
import type { PaxosDriver } from './paxos-driver.ts'
import { quorumRead } from './quorum-read.ts'
import type { HolderAnswer, QuorumReadResult } from './quorum-read.ts'
import { holderAnswer } from './holder-answer.ts'
import { LEADER_READ_ELECTION_WAIT, LEADER_RETRY_DELAY, QUORUM_READ_CATCHUP_WAIT, SHARED_CHAIN } from './paxos-constants.ts'
import { InvalidReadError, NoLeaderError, OwnChainNotBackError, ProposerUnreachableError, QuorumReadError } from './consensus-errors.ts'

export type Consistency = 'local' | 'leader' | 'quorum'

export interface ReadOptions {
  /** @default 'local' */
  consistency?: Consistency
}

/** A block read with a consistency: what the holders agreed the chain has at that height. */
export interface BlockRead {
  chainId: string
  height: number
  /** undefined: the chain has no block at that height (yet). Without payload where every agreeing holder pruned it. */
  block?: Block
  consistency: Consistency
  /** Holders whose answer this is (the agreeing ones, for a quorum read). */
  servedBy: string[]
}

export interface KeyRead {
  key: string
  /** undefined: no value (never written, or deleted). */
  value?: Uint8Array
  /** Height of the block that wrote the value (absent: the height read up to). */
  height: number
  consistency: Consistency
  /** Holders whose answer this is (the agreeing ones, for a quorum read). */
  servedBy: string[]
}

const CONSISTENCIES: ReadonlySet<string> = new Set<Consistency>(['local', 'leader', 'quorum'])
const READ_OPTIONS: ReadonlySet<string> = new Set<keyof ReadOptions>(['consistency'])

/**
 * A read's consistency (local by default), once its chain and options make
 * sense: an unknown level is not taken for quorum, and a read that asks
 * other nodes needs a chain they can have (a vehicle's peer id, or shared).
 */
function checkRead (chainId: string, options: ReadOptions | undefined): Consistency {
  if (options != null && typeof options !== 'object') throw new InvalidReadError(`a read's options are an object ({ consistency }), got ${typeof options}`)
  // a typo (consistancy) would else read locally, and say nothing
  const unknown = options == null ? undefined : Object.keys(options).find(option => !READ_OPTIONS.has(option))
  if (unknown != null) throw new InvalidReadError(`unknown read option ${JSON.stringify(unknown)}: a read takes ${[...READ_OPTIONS].join(', ')}`)
  const consistency = options?.consistency ?? 'local'
  if (!CONSISTENCIES.has(consistency)) throw new InvalidReadError(`consistency is local, leader or quorum, got ${JSON.stringify(consistency)}`)
  if (typeof chainId !== 'string' || chainId === '') throw new InvalidReadError(`a chain id is a non-empty string, got ${JSON.stringify(chainId)}`)
  // a local read of any name answers "not held"; asking others needs a chain some node can hold
  const problem = consistency === 'local' ? undefined : chainIdProblem(chainId)
  if (problem != null) throw new InvalidReadError(problem)
  return consistency
}

/**
 * A key read's input (chain, key, options) checked, and its consistency: the
 * node checks it before it says it is not started (an unknown consistency
 * was NotStartedError before start(): a probe, 2026-12-03).
 *
 * @throws InvalidReadError
 */
export function checkKeyRead (chainId: string, key: string, options: ReadOptions | undefined): Consistency {
  const consistency = checkRead(chainId, options)
  checkReadKey(key)
  return consistency
}

/** A block read's input checked, and its consistency (see checkKeyRead). @throws InvalidReadError */
export function checkBlockRead (chainId: string, height: number, options: ReadOptions | undefined): Consistency {
  const consistency = checkRead(chainId, options)
  if (!Number.isSafeInteger(height) || height < 1) throw new InvalidReadError(`a block height is an integer ≥ 1, got ${shownNumber(height)}`)
  return consistency
}

/** Nodes a `leader` read asks, following each one's word on who leads, before it gives up. */
const MAX_LEADER_HOPS = 3
/** Quorum reads of a vehicle's chain: passes with the holders of a newer table an answer or a lookup showed. */
const MAX_QUORUM_READ_PASSES = 3

/**
 * Aborts once this node knows another shared-chain leader than `leader`
 * (checked every LEADER_RETRY_DELAY); stop() ends the watch. A leader that
 * froze (out of range, its connection still open) answers nothing: writes
 * and leader reads go to the next one as soon as it is elected here.
 * `believed` is the leader this node knew when it asked: a write that
 * follows the leader another node named asks one this node's view may not
 * show yet, and that view still naming the old one is no move.
 */
export function leaderMoved (driver: Pick<PaxosDriver, 'shared'>, leader: string, believed = leader): { signal: AbortSignal, stop: () => void } {
  const moved = new AbortController()
  const watch = setInterval(() => {
    const now = driver.shared()?.leader()
    if (now != null && now !== leader && now !== believed) moved.abort(new NoLeaderError(`the shared chain's leader moved from ${leader} to ${now}`))
  }, LEADER_RETRY_DELAY)
  return { signal: moved.signal, stop: () => { clearInterval(watch) } }
}

export interface ChainReadsDeps {
  chains: ChainStore
  vguarddb: VGuardDB
  driver: Pick<PaxosDriver, 'shared' | 'sharedConflicts' | 'forgetfulPeers'>
  self: string
  /** Nr: holders that must agree in a quorum read. */
  readQuorum: number
  /** Whether the node runs: a read its stop cut short says so. */
  running: () => boolean
  /** Aborted by the node's stop: the questions to holders in flight end at once. */
  stopSignal: () => AbortSignal
  /** Why our own chain counts as lost (OwnChainReturn.lost), if it does. */
  ownChainLost: () => Promise<string | undefined>
}

export class ChainReads {
  private readonly d: ChainReadsDeps

  constructor (deps: ChainReadsDeps) {
    this.d = deps
  }

  /**
   * Reads a key of any chain with the given consistency.
   *
   * @throws InvalidReadError, QuorumReadError, NoLeaderError, ProposerUnreachableError, PayloadPrunedError and ChainNotFoundError (local)
   */
  async readKey (chainId: string, key: string, options?: ReadOptions): Promise<KeyRead> {
    const consistency = checkKeyRead(chainId, key, options)
    const request: ReadRequest = readRequest({ kind: ReadRequest.Kind.KEY, chainId, key })
    if (consistency === 'local') {
      await this.checkHeld(chainId)
      const kv = await this.d.chains.get(chainId, key)
      const tip = await this.d.chains.tip(chainId)
      return { key, value: kv?.value, height: kv?.height ?? tip.height, consistency, servedBy: [this.d.self] }
    }
    return await this.whileRunning(chainId, consistency, async () => {
      if (consistency === 'leader') {
        const { answer, leader } = await this.askLeader(chainId, { ...request, leader: true })
        return { key, value: answer.status === 'value' ? answer.value : undefined, height: answer.status === 'value' ? answer.valueHeight : answer.height, consistency, servedBy: [leader] }
      }
      const result = await this.quorumRead(chainId, request)
      return { key, value: result.value, height: result.height, consistency, servedBy: result.agreed }
    })
  }

  /**
   * Reads the block at a height of any chain with the given consistency. A
   * holder's block counts only if it checks out (block-answer.ts); a quorum
   * is Nr holders with the same block hash, and the answer is a copy with its
   * payload when any of them still has it.
   *
   * @throws InvalidReadError, QuorumReadError, NoLeaderError, ProposerUnreachableError, ChainNotFoundError (local)
   */
  async readBlock (chainId: string, height: number, options?: ReadOptions): Promise<BlockRead> {
    const consistency = checkBlockRead(chainId, height, options)
    const request: ReadRequest = readRequest({ kind: ReadRequest.Kind.BLOCK, chainId, height })
    if (consistency === 'local') {
      await this.checkHeld(chainId)
      return { chainId, height, block: await this.d.chains.getBlock(chainId, height), consistency, servedBy: [this.d.self] }
    }
    return await this.whileRunning(chainId, consistency, async () => {
      if (consistency === 'leader') {
        const { answer, leader } = await this.askLeader(chainId, { ...request, leader: true })
        return { chainId, height, block: answer.status === 'value' ? answer.block : undefined, consistency, servedBy: [leader] }
      }
      const result = await this.quorumRead(chainId, request)
      // the same hash from every agreeing holder; retention may have pruned the payload at some of them
      const copies = result.answers.flatMap(a => a.status === 'value' && a.block != null && result.agreed.includes(a.peer) ? [a.block] : [])
      const block = copies.find(b => b.payload != null) ?? copies[0]
      return { chainId, height, block, consistency, servedBy: result.agreed }
    })
  }

  /**
   * A leader or quorum read the node's stop cut short says so: the holders
   * that fail as this node's connections close are not out of reach, and a
   * QuorumReadError or a proposer "unreachable" told a probe's user they were.
   */
  private async whileRunning<T> (chainId: string, consistency: Consistency, read: () => Promise<T>): Promise<T> {
    try {
      return await read()
    } catch (err) {
      if (!this.d.running()) throw new NodeStoppedError(`the node stopped during the ${consistency} read of ${chainId} (${(err as Error).message})`)
      throw err
    }
  }

  /**
   * A local read of a chain this node holds no copy of would answer "no
   * value", as if the chain had none: it says so instead. This node's own
   * chain is always held, if only empty, but not all of it while it is not
   * back after our database was lost (a probe: "no value" for acknowledged
   * keys, with the backups that hold them connected). So is the shared chain
   * once this node runs it, blocks or none (the read protocol answers it so).
   *
   * @throws InvalidReadError (a peer id in another form), ChainNotFoundError, OwnChainNotBackError
   */
  async checkHeld (chainId: string): Promise<void> {
    if (chainId === this.d.self) {
      const lost = await this.d.ownChainLost()
      if (lost != null) {
        throw new OwnChainNotBackError(`this node lost its database (${lost}); its copy would answer that keys it acknowledged have no value. ` +
          'It fetches its chain from the vehicles that hold it as they connect: read with consistency quorum (its backups answer), or again once it is back')
      }
      return
    }
    if (await this.d.chains.info(chainId) != null) return
    if (chainId === SHARED_CHAIN && this.d.driver.shared() != null) return
    // a peer id in another form (a CID, bafz…) names no chain, but this node can say which one it means, as the other
    // reads do: it said "not held here" of a chain held under the usual form (a probe, 2026-12-03)
    const canonical = canonicalPeerId(chainId)
    if (canonical != null && canonical !== chainId) throw new InvalidReadError(`give the peer id as ${canonical}, not as ${chainId}`)
    throw new ChainNotFoundError(`chain ${chainId} is not held here (a local read reads only this node's copy: consistency leader or quorum asks its holders)`)
  }

  /**
   * Asks Nr holders of the chain (see quorum-read.ts). Whom to ask is what
   * this node knows: a reader of the shared chain first follows its leader
   * and decides what it heard was decided, or its booth may be an old one
   * (a replica just opened knows only the genesis booth, the founder alone).
   */
  private async quorumRead (chainId: string, request: ReadRequest): Promise<QuorumReadResult> {
    if (chainId === SHARED_CHAIN) {
      await this.sharedFormed()
      await this.d.driver.shared()?.caughtUp(QUORUM_READ_CATCHUP_WAIT)
      return await this.quorumReadOnce(chainId, request)
    }
    // A vehicle's chain: the holders are those of the newest table we know,
    // which may be old (we were away while the chain moved to new backups),
    // and its backups, away too, still answer as active: two of them agree
    // on the value the chain replaced (found in review). So a table an answer
    // shows is adopted, and unless the vehicle itself answered (it always
    // knows its newest table), one lookup asks whether a newer one exists, as
    // a redirect read does; the read goes again with the holders of a newer table.
    let confirmed = false
    for (let pass = 1; ; pass++) {
      const epoch = this.tableEpoch(chainId)
      const height = this.tableHeight(chainId)
      const asked = new Set<string>()
      let ownerAnswered = false
      let result: QuorumReadResult | undefined
      let failure: unknown
      try {
        result = await this.quorumReadOnce(chainId, request, async (peer, answer) => {
          asked.add(peer)
          if (peer === chainId && answer.status !== 'unavailable') ownerAnswered = true
        })
      } catch (err) {
        if (!(err instanceof QuorumReadError)) throw err
        failure = err
      }
      // a newer table an answer showed confirms nothing either: a backup away since shows the table it
      // kept, and one of a round without a write names the same holders at the same height, so no
      // pass follows it (backups away after such a round agreed on the value the chain replaced: a review)
      if (!ownerAnswered && !confirmed) {
        confirmed = true
        await this.d.vguarddb.confirmTable(chainId, asked, { signal: this.d.stopSignal() })
      }
      // Again with a newer table when it names holders this pass did not ask, or, the vehicle
      // silent, a height above the one this pass judged its holders by (backups behind it
      // agreed on the value it replaced: a review). Every commit starts an epoch, and answers
      // show it: under writes, a newer table naming the same holders, with the vehicle
      // answering (it holds the newest), changes nothing (reads went again for nothing: a review)
      const newer = this.tableEpoch(chainId) > epoch &&
        (this.holders(chainId).some(p => !asked.has(p)) || (!ownerAnswered && this.tableHeight(chainId) > height))
      if (newer && pass < MAX_QUORUM_READ_PASSES) continue
      if (result == null) throw failure
      return result
    }
  }

  private tableEpoch (chainId: string): number {
    return this.d.vguarddb.tables.get(chainId)?.table.epoch ?? 0
  }

  private tableHeight (chainId: string): number {
    return this.d.vguarddb.tables.get(chainId)?.table.height ?? 0
  }

  /** One quorum read among the holders known now; `heard` sees each answer (after any table it showed was adopted). */
  private async quorumReadOnce (chainId: string, request: ReadRequest, heard?: (peer: string, answer: HolderAnswer) => Promise<void>): Promise<QuorumReadResult> {
    let holders = this.holders(chainId)
    if (holders.length < this.d.readQuorum && chainId !== SHARED_CHAIN) {
      // a vehicle that joined after this chain's last booth never heard its table: its neighbours did,
      // and its owner, asked first, always shows it. Right after a round the backups may show none yet
      // (it is gossiped and handed to them after the write is answered), but hold their copies: members
      // that answer the tip with one count
      const found = await this.d.vguarddb.lookupTable(chainId, new Set(), { owner: true, signal: this.d.stopSignal() })
      holders = this.holders(chainId)
      if (holders.length < this.d.readQuorum) {
        // and a copy of our own (we may be a backup the round's table, on its way, names); copies count
        // unless the newest table we know names them obsolete (older copies that would agree on an old value)
        const obsolete = new Set(this.d.vguarddb.tables.get(chainId)?.table.obsolete ?? [])
        const ours = (await this.d.chains.info(chainId)) != null ? [this.d.self] : []
        holders = [...new Set([...holders, ...[...found.holders, ...ours].filter(p => !obsolete.has(p))])]
      }
    }
    // what the chain is known to have reached: a holder below it is behind (quorum-read.ts)
    const minHeight = Math.max(this.d.vguarddb.tables.get(chainId)?.table.height ?? 0, (await this.d.chains.tip(chainId)).height)
    return await quorumRead({
      holders,
      // a vehicle holds every write of its chain it acknowledged; its backups may lag (quorum-read.ts)
      first: chainId === SHARED_CHAIN ? undefined : chainId,
      quorum: this.d.readQuorum,
      minHeight,
      signal: this.d.stopSignal(),
      what: request.kind === ReadRequest.Kind.BLOCK ? `block ${request.height}` : 'the key',
      ask: async (peer) => {
        const answer = await this.ask(peer, request)
        await heard?.(peer, answer)
        return answer
      }
    })
  }

  /**
   * A linearizable read: asks the node this one believes leads the chain,
   * which answers only once a majority of its booth confirmed it still
   * leads (see consensus/reads.ts); a node that does not lead names who
   * does, and the read follows (a few hops at most, never in a circle).
   * Between two leaders of the shared chain (none known, or the one asked
   * gone) it asks again until LEADER_READ_ELECTION_WAIT, as a write waits.
   */
  private async askLeader (chainId: string, request: ReadRequest): Promise<{ answer: Exclude<HolderAnswer, { status: 'unavailable' }>, leader: string }> {
    const deadline = performance.now() + LEADER_READ_ELECTION_WAIT
    while (true) {
      try {
        return await this.askLeaderOnce(chainId, request)
      } catch (err) {
        // the shared chain between two leaders: asked again until one answers, as a write would be
        const name = (err as Error).name
        const between = name === 'NoLeaderError' || name === 'ProposerUnreachableError'
        // also before the chain formed here (a node just started, the first write elsewhere on its way): a
        // library user's read failed at once where a write from the same node waited and committed
        const waits = chainId === SHARED_CHAIN
        if (!waits || !between || !this.d.running() || performance.now() + LEADER_RETRY_DELAY >= deadline) throw err
        await sleep(LEADER_RETRY_DELAY)
      }
    }
  }

  /** Waits, as a write would, up to LEADER_READ_ELECTION_WAIT for the shared chain to form here, if it has not. */
  private async sharedFormed (): Promise<void> {
    const deadline = performance.now() + LEADER_READ_ELECTION_WAIT
    while (this.d.driver.shared() == null && this.d.running() && performance.now() + LEADER_RETRY_DELAY < deadline) await sleep(LEADER_RETRY_DELAY)
  }

  private async askLeaderOnce (chainId: string, request: ReadRequest): Promise<{ answer: Exclude<HolderAnswer, { status: 'unavailable' }>, leader: string }> {
    let leader = chainId === SHARED_CHAIN ? this.d.driver.shared()?.leader() : chainId
    const tried: string[] = []
    // why the last one asked does not lead (and named no other): a vehicle behind its own chain says so
    let why = ''
    while (leader != null && !tried.includes(leader) && tried.length < MAX_LEADER_HOPS) {
      tried.push(leader)
      const answer = await this.askWhileLeading(chainId, leader, request)
      if (answer.status !== 'unavailable') return { answer, leader }
      if (answer.notLeader !== true) throw new ProposerUnreachableError(`the leader of ${chainId} (${leader}) could not answer: ${answer.error}`)
      why = answer.leader == null ? `; ${leader}: ${answer.error}` : ''
      leader = answer.leader
    }
    throw new NoLeaderError(`no node confirmed that it leads chain ${chainId} (asked ${tried.length > 0 ? tried.join(', ') : 'nobody: no leader is known'})${why}`)
  }

  /**
   * Asks the node believed to lead; on the shared chain, gives up on it as
   * soon as another is elected here (a leader that froze, out of range with
   * its connection open, answers nothing: a probe's reads waited out their
   * whole 5 s on it while the next leader led after 1.5), as writes do.
   */
  private async askWhileLeading (chainId: string, leader: string, request: ReadRequest): Promise<HolderAnswer> {
    if (chainId !== SHARED_CHAIN || leader === this.d.self) return await this.ask(leader, request)
    const moved = leaderMoved(this.d.driver, leader)
    try {
      return await this.ask(leader, request, moved.signal)
    } finally {
      moved.stop()
    }
  }

  /** Who holds a chain's data: the vehicle and its active backups; the shared chain's booth and leader. */
  holders (chainId: string): string[] {
    if (chainId === SHARED_CHAIN) {
      const shared = this.d.driver.shared()
      if (shared == null) return []
      const st = shared.status()
      // not a member on another shared chain under the same id (a founder that lost its database and
      // founded again), nor one held back: they answer with blocks of another history (a review)
      const other = new Set([...this.d.driver.sharedConflicts(), ...this.d.driver.forgetfulPeers()])
      return [...new Set([...st.booth, ...(st.leader != null ? [st.leader] : [])])].filter(p => !other.has(p))
    }
    return [...new Set([chainId, ...(this.d.vguarddb.tables.get(chainId)?.table.active ?? [])])]
  }

  private async ask (peer: string, request: ReadRequest, signal?: AbortSignal): Promise<HolderAnswer> {
    let res: Partial<ReadResponse>
    const linked = new LinkedSignal([signal, this.d.stopSignal()])
    try {
      res = peer === this.d.self
        ? await this.d.vguarddb.read.answer(request)
        : await this.d.vguarddb.read.ask(peerIdFromString(peer), request, { signal: linked.signal })
    } catch (err) {
      return { peer, status: 'unavailable', error: (err as Error).message }
    } finally {
      linked.clear()
    }
    // any answer may show a newer table of the chain (a released backup's redirect always does)
    if (res.table != null && res.table.byteLength > 0) await this.d.vguarddb.adoptShownTable(request.chainId, res.table, peer)
    return holderAnswer(peer, request, res)
  }
}
