/**
 * How a network gets its shared chain (pure decisions; shared-chain-choice.ts acts on them).
 *
 * Every replica of a chain must start from the same genesis booth, and for
 * the shared chain nobody knows the network's members in advance. So one
 * vehicle founds it: genesis booth = [founder], then its first decided value
 * moves the booth to the connected members, and only then does it announce
 * the chain (its hello carries the founder's id). Everyone else adopts the
 * founder they hear of.
 *
 * Who founds: the best-ranked vehicle (priority, then peer id — Bully) among
 * itself, its connected peers and the best each of them sees (its hello's
 * formingBest: two hops), once it has at least one peer, every peer has said
 * hello, nobody reports a shared chain, and its view has not changed for
 * FORMATION_DELAY. The two hops matter where vehicles meet through one
 * bootstrap peer: each saw only that peer, ranked itself first, and both
 * founded (a CI run had the second one's chain stay without a leader for
 * good). The best in a connected group is the best within two hops of
 * itself, so someone always founds. Vehicles three hops apart that cannot
 * see each other for that long while forming, or two groups, would found
 * two chains; when they meet, each keeps its own (messages of the other
 * chain are refused, and /status shows the conflict). Form the network
 * connected (a LAN does within a second), or give one vehicle a higher
 * --priority.
 *
 * A permissioned network (an allow list) needs no founder, and so has no such
 * window: its members are known, so every one of them starts the chain from
 * the same genesis booth, all of them (permissionedGenesis). Its first
 * decision (the leader moving the booth to the members it is connected to)
 * takes a majority of that booth: two groups that cannot see each other
 * cannot both have one, so the chain never forks — and a minority of the
 * network alone has no shared chain until enough members join it.
 */
import { compareCandidates } from '../consensus/election.ts'
import { MAX_BOOTH_SIZE } from '../consensus/index.ts'
import { sha256, toHex } from '../chain/index.ts'
import { canonicalPeerId } from './peer-ids.ts'
import { MAX_PRIORITY } from './config.ts'

export interface PeerHello {
  priority: number
  sharedGenesis: string
  /** A permissioned chain's genesis booth, as its member announced it. */
  sharedBooth?: string[]
  /** Its shared chain has decided something. */
  sharedHeld?: boolean
  /** The best-ranked vehicle it sees while it has no shared chain (itself or a connected member). */
  formingBest?: { peer: string, priority: number }
  /** The founding of its shared chain (hex), if it says one. */
  founding?: string
  /** It refuses our chain: while we form, it runs none for it left every chain its members run (Hello.sharedRefused). */
  sharedRefused?: boolean
}

export interface FormationView {
  self: string
  priority: number
  /** Connected members, with their hello if they sent one. */
  peers: Array<{ id: string, hello?: PeerHello }>
  now: number
  /** When the set of connected members last changed (or the node started). */
  stableSince: number
  delay: number
  /** Chains this node left (LeftChains): never adopted again. */
  left?: (chain: FoundedChain) => boolean
}

export type FormationAction =
  /** `left`: every chain connected members run is one this node left (it takes none of them). */
  | { action: 'wait', left?: true }
  | { action: 'adopt', founder: string }
  | { action: 'found' }

/** What a node without a shared chain should do now. */
export function formationStep (v: FormationView): FormationAction {
  const named = v.peers.flatMap(p => p.hello != null && adoptableFounder(p.hello.sharedGenesis) ? [p.hello] : [])
  const announced = named.filter(h => v.left?.({ founder: h.sharedGenesis, founding: h.founding }) !== true).map(h => h.sharedGenesis)
  // peers run only chains we left: founding another beside theirs would make a conflict
  if (announced.length === 0 && named.length > 0) return { action: 'wait', left: true }
  if (announced.length > 0) {
    // several chains on offer (a conflict elsewhere): the one most peers are in, then the greater founder id
    return { action: 'adopt', founder: mostNamed(announced, 'greater') as string }
  }
  if (v.peers.length === 0 || v.peers.some(p => p.hello == null)) return { action: 'wait' }
  if (v.now - v.stableSince < v.delay) return { action: 'wait' }
  const twoHops = v.peers.flatMap(p => p.hello?.formingBest == null ? [] : [{ id: p.hello.formingBest.peer, priority: p.hello.formingBest.priority }])
  // a peer that refuses (it left every chain its members run) founds none: waiting for it, we would wait for good
  const founders = v.peers.filter(p => p.hello?.sharedRefused !== true)
  return bestCandidate(v.self, v.priority, [...founders.map(p => ({ id: p.id, priority: p.hello?.priority ?? 0 })), ...twoHops]).id === v.self
    ? { action: 'found' }
    : { action: 'wait' }
}

/**
 * The best-ranked of this node and `others`: what a node without a shared
 * chain announces as its formingBest (its connected members' own ranks, never
 * what they announce: a best that left would otherwise echo between its
 * neighbours for good, and nobody would found).
 */
export function bestCandidate (self: string, priority: number, others: Array<{ id: string, priority: number }>): { id: string, priority: number } {
  return [{ id: self, priority }, ...others].sort(compareCandidates)[0]
}

/** A founded shared chain as a hello or the formation record names it. */
export interface FoundedChain {
  founder: string
  /** hex; undefined: unknown (any matches) */
  founding?: string
}

export interface StrandedView {
  /** Our shared chain. */
  mine: FoundedChain
  /** The chain each connected member runs (members that run none are left out). */
  peers: FoundedChain[]
  /** Chains this node left (LeftChains): never taken again. */
  left: (chain: FoundedChain) => boolean
}

const sameFounded = (a: FoundedChain, b: FoundedChain): boolean =>
  a.founder === b.founder && (a.founding == null || b.founding == null || a.founding === b.founding)

/**
 * The chain a node should take instead of its own, stranded one: none of its
 * connected members runs ours, and some run another (the one most of them
 * run, then the greater founder id, as formationStep adopts). The driver
 * asks only while our chain has no block here and no leader, and acts once
 * that has held a while (STRANDED_DELAY).
 *
 * How a chain strands: a founder that moved its booth to members that
 * adopted another founder's chain at the same moment (two founded at once:
 * vehicles three hops apart, or a neighbour of an earlier version that sends
 * no formingBest). Its booth's majority runs the other chain, so it can never
 * elect a leader, change its booth or commit a write. Leaving loses nothing:
 * no block of it is here, and one decided elsewhere stays with the members
 * that run it; this node, which cleared its votes, never takes it again.
 */
export function strandedStep (v: StrandedView): FoundedChain | undefined {
  if (v.peers.some(p => sameFounded(p, v.mine))) return undefined
  const others = v.peers.filter(p => adoptableFounder(p.founder) && !v.left(p))
  if (others.length === 0) return undefined
  const founder = mostNamed(others.map(p => p.founder), 'greater') as string
  const founding = mostNamed(others.flatMap(p => p.founder === founder && p.founding != null ? [p.founding] : []), 'smaller')
  return founding == null ? { founder } : { founder, founding }
}

/**
 * The value named most often, ties going to the `greater` or `smaller` one,
 * so that nodes seeing the same names settle on the same one; undefined for
 * none. (A founder: the greater id; a founding: the smaller.)
 */
export function mostNamed (names: string[], tie: 'greater' | 'smaller'): string | undefined {
  const counts = new Map<string, number>()
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1)
  const first = tie === 'greater' ? 1 : -1
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? first : -first))[0]?.[0]
}

/** The shared chain of a permissioned network: its genesis booth, and the id its members announce in their hello. */
export interface PermissionedGenesis {
  /** The allowed peers and this node, sorted; the first MAX_BOOTH_SIZE of them for a larger list. */
  booth: string[]
  /** `members:` and a digest of the whole list: members with the same list run the same chain. */
  id: string
}

/** Prefix of a permissioned genesis id (a founder's id is a peer id, which never starts with it). */
export const PERMISSIONED_PREFIX = 'members:'

/**
 * Whether a node without an allow list may adopt the shared chain a hello
 * names: a founder's, not a permissioned network's (its genesis booth comes
 * from an allow list this node lacks).
 */
export function adoptableFounder (genesis: string): boolean {
  return genesis !== '' && !genesis.startsWith(PERMISSIONED_PREFIX)
}

export function permissionedGenesis (allowed: string[], self: string): PermissionedGenesis {
  const members = [...new Set([...allowed, self])].sort()
  const digest = toHex(sha256(new TextEncoder().encode(members.join('\n')))).slice(0, 32)
  return { booth: members.slice(0, MAX_BOOTH_SIZE), id: `${PERMISSIONED_PREFIX}${digest}` }
}

const PERMISSIONED_ID = /^members:[0-9a-f]{32}$/

/**
 * A hello's shared-chain id as announced, if it is one: none (''), a
 * founder's peer id (in its one string form) or a permissioned genesis id.
 * Anything else (a peer's bug or malice) would become a genesis booth of
 * one vehicle that does not exist, and a chain nobody can run.
 */
export function wellFormedGenesis (genesis: string): string | undefined {
  if (genesis === '' || PERMISSIONED_ID.test(genesis)) return genesis
  return canonicalPeerId(genesis) === genesis ? genesis : undefined
}

/**
 * A hello's formingBest, if it is one: a peer id in its one form and a
 * priority a vehicle can have. Another would be a candidate no vehicle is,
 * and nobody within two hops of the sender would ever found.
 */
export function wellFormedBest (best: { peer: string, priority: number }): { peer: string, priority: number } | undefined {
  if (!Number.isSafeInteger(best.priority) || canonicalPeerId(best.peer) !== best.peer) return undefined
  return { peer: best.peer, priority: heardPriority(best.priority) }
}

/**
 * A hello's priority as a vehicle can have it (0 to MAX_PRIORITY, as --priority takes): a peer's bug or malice
 * sent any 64-bit value, and one past 2^53 we passed on in our formingBest was dropped by every receiver (a
 * review). Higher is still higher: a claim of more than any vehicle can have ranks as the most one can.
 */
export function heardPriority (priority: number): number {
  if (Number.isNaN(priority) || priority <= 0) return 0
  return Math.min(Math.floor(priority), MAX_PRIORITY)
}

/**
 * A hello's permissioned genesis booth for chain `id`, if it is one: 1 to
 * MAX_BOOTH_SIZE distinct peer ids, each in its one form, and, when it is
 * the whole list (shorter than the cap), the list the id is the digest of.
 */
export function wellFormedBooth (id: string, booth: string[]): string[] | undefined {
  if (booth.length === 0 || booth.length > MAX_BOOTH_SIZE || new Set(booth).size !== booth.length) return undefined
  if (!booth.every(member => canonicalPeerId(member) === member)) return undefined
  // a genesis booth is the list sorted: another order would be another starting booth
  if (booth.some((member, i) => i > 0 && booth[i - 1] >= member)) return undefined
  if (booth.length < MAX_BOOTH_SIZE && permissionedGenesis(booth, booth[0]).id !== id) return undefined
  return [...booth]
}

export interface ListedChainView {
  /** This node's permissioned chain. */
  mine: { id: string, booth: string[] }
  /** Hellos of the connected members. */
  peers: PeerHello[]
  /** The allow list and this node. */
  allowed: ReadonlySet<string>
}

/**
 * Which permissioned chain a member whose own holds nothing should run: one
 * that has decided something (a member says so in its hello) before one only
 * announced — members added to the lists together must not outvote the chain
 * the first members run — then the one most of the connected members and
 * itself run (one vote each, its own included), then the greater id, so two
 * such members settle on the same one. A chain counts only if its genesis
 * booth is known and all on this node's allow list (a member added after the
 * chain began: its list names the chain's first members and more).
 */
export function listedChainStep (v: ListedChainView): { id: string, booth: string[] } {
  const votes = new Map<string, { count: number, held: boolean, booth: string[] }>([[v.mine.id, { count: 1, held: false, booth: v.mine.booth }]])
  for (const h of v.peers) {
    if (!h.sharedGenesis.startsWith(PERMISSIONED_PREFIX) || h.sharedBooth == null) continue
    if (h.sharedGenesis !== v.mine.id && !h.sharedBooth.every(id => v.allowed.has(id))) continue
    const vote = votes.get(h.sharedGenesis) ?? { count: 0, held: false, booth: h.sharedBooth }
    vote.count++
    vote.held ||= h.sharedHeld === true
    votes.set(h.sharedGenesis, vote)
  }
  const rank = (x: { count: number, held: boolean }): number => (x.held ? 1e6 : 0) + x.count
  const [id, { booth }] = [...votes.entries()].sort((a, b) => rank(b[1]) - rank(a[1]) || (a[0] < b[0] ? 1 : -1))[0]
  return { id, booth }
}
