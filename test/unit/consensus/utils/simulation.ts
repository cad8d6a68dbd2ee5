/**
 * One randomized run of a simulated cluster, fully determined by its seed.
 *
 * Chaos phase: random deliveries in random order, message loss and
 * duplication, ticks, proposals at random nodes, crashes (also between
 * persisting and sending a Ready), restarts from persisted state only,
 * partitions, forced campaigns (competing leaders), booth changes and
 * compaction. Invariants are checked by the Cluster on every Ready.
 *
 * Heal phase: every node that is down restarts (those up run on) and every
 * link works, with no loss. A leader must emerge, every proposal submitted
 * to it must be decided, every node must apply the same log up to the same
 * slot, and every proposal a node took since it last started must have
 * ended there: applied, or reported dropped.
 */
import { Cluster, InvariantError, valueKey } from './cluster.ts'
import { Prng } from './prng.ts'
import { testProofs } from './proofs.ts'
import { ForgetfulDriver } from './forgetful-driver.ts'
import type { Candidate, PaxosConfig } from '../../../../src/consensus/index.ts'
import { compareCandidates } from '../../../../src/consensus/index.ts'

export class ProgressError extends Error {
  static name = 'ProgressError'
  constructor (message = 'No progress') {
    super(message)
    this.name = 'ProgressError'
  }
}

type Action = 'deliver' | 'tick' | 'propose' | 'crash' | 'restart' | 'partition' | 'booth' | 'campaign' | 'compact' | 'priorities'

export interface SimulationOptions {
  /** Steps of the chaos phase. @default random in [150, 400] */
  chaosSteps?: number
  /** Rounds allowed for the heal phase. @default 3000 */
  healRounds?: number
  /** Proposals submitted to the leader in the heal phase. @default 3 */
  healProposals?: number
  /**
   * Data dirs lost now and then (nodes back with nothing, as new
   * incarnations: the shared chain's driver holds their votes back, see
   * ForgetfulDriver). Off for the remembered seeds, which replay what they
   * found before wipes existed. @default true
   */
  wipes?: boolean
}

export interface SimulationResult {
  seed: number
  nodes: number
  mode: 'fixed' | 'elected'
  /** Slots decided in the chaos phase. */
  decided: number
  crashes: number
  boothChanges: number
  /** Leader reads confirmed (each checked against the chosen-value oracle). */
  reads: number
  healRounds: number
  /** Data dirs lost (Cluster.wipe). */
  wipes: number
  /** A node left down during the heal phase. */
  keptDown?: string
}

export function simulate (seed: number, opts: SimulationOptions = {}): SimulationResult {
  const rng = new Prng(seed)
  const n = rng.range(3, 5)
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`)
  const mode = rng.chance(0.5) ? 'fixed' : 'elected'
  const proposer = 'n1'
  const window = rng.range(1, 4)
  const maxInflight = rng.range(1, window)
  const electionTicks = rng.range(4, 10)
  const heartbeatTicks = rng.range(1, 2)
  const genesis = n === 3 || rng.chance(0.3) ? [...ids] : pickBooth(rng, ids, mode === 'fixed' ? proposer : undefined)
  let candidates = ids.map(id => ({ id, priority: rng.int(3) }))
  // a node that may stay down while the cluster heals: booth changes leave it out
  const reserved = n >= 4 && rng.chance(0.4) ? rng.pick(ids.filter(id => !(mode === 'fixed' && id === proposer))) : undefined
  const boothIds = ids.filter(id => id !== reserved)
  const random = rng.source()
  const configs: PaxosConfig[] = ids.map(id => ({
    id,
    booth: genesis,
    learners: ids,
    election: mode === 'fixed' ? { mode: 'fixed', proposer } : { mode: 'elected', candidates },
    electionTicks,
    heartbeatTicks,
    // a fixed proposer's idle cadence, 1-8 heartbeats apart: taken from the
    // seed (not the prng) for the same reason as announceToBooth below
    idleHeartbeatTicks: heartbeatTicks * (1 + (Math.floor(seed / 2) % 8)),
    random,
    window,
    maxInflight,
    maxPending: rng.range(2, 16),
    maxCatchup: rng.range(1, 8),
    maxDecidedPerReady: rng.range(1, 8),
    // odd seeds: booth members learn commit only from accepts and periodic
    // heartbeats (how vehicles' own chains run); taken from the seed, not the
    // prng, so every other choice of a seed stays what it was
    announceToBooth: seed % 2 === 0,
    // a vehicle's own chain: its proposer signs what it proposes; an honest run never has a report refused
    ...(mode === 'fixed' && id === proposer ? { proofs: testProofs(id) } : {})
  }))
  const cluster = new Cluster({ configs })
  const result: SimulationResult = { seed, nodes: n, mode, decided: 0, crashes: 0, boothChanges: 0, reads: 0, healRounds: 0, wipes: 0 }
  // the shared chain (elected) runs the driver's rule for a member that lost its database;
  // a vehicle's own chain (fixed) has none: its proposer holds every value it proposed
  const forgetful = mode === 'elected' ? new ForgetfulDriver(cluster) : undefined
  // wipes draw from their own source too (a seed without any replays as before they existed)
  const wipeRng = new Prng(seed + 0x3195)
  const wipeRate = opts.wipes !== false && wipeRng.chance(0.3) ? wipeRng.next() * 0.01 : 0
  /** Every booth change asked of a leader (one may be proposed, and recovered, long after). */
  const requestedBooths: string[][] = []
  // leader reads draw from their own source, so the chaos a seed replays
  // stays what it was before reads were added (until a read's messages change it)
  const readRng = new Prng(seed + 0x5eed)
  const readRate = readRng.next() * 0.2
  let counter = 0
  const checkIds = (): void => {
    // each id is proposed once, so it may be decided at one slot only
    const seen = new Map<string, number>()
    for (const [slot, key] of cluster.decided) {
      if (key.startsWith('data:')) {
        const prev = seen.get(key)
        if (prev != null) {
          throw new InvariantError(`${key} decided at slots ${prev} and ${slot}`)
        }
        seen.set(key, slot)
      }
    }
  }
  const upIds = (): string[] => ids.filter(id => cluster.up(id))
  const processSome = (midReadyCrash: number): void => {
    for (const id of ids) {
      if (!rng.chance(0.85)) {
        continue
      }
      if (rng.chance(midReadyCrash)) {
        result.crashes++
        cluster.process(id, rng.chance(0.5) ? 'persist' : 'send')
        continue
      }
      while (cluster.process(id)) { /* drain */ }
    }
  }

  // ---- chaos: every seed draws its own mix of events and fault rates,
  // from a calm network to a hostile one with dueling leaders
  const loss = rng.next() * 0.2
  const dup = rng.next() * 0.1
  const reorder = 0.05 + rng.next() * 0.5
  const holdCut = rng.chance(0.5)
  const weights: Array<[Action, number]> = [
    ['deliver', 40 + rng.int(40)],
    ['tick', 3 + rng.int(12)],
    ['propose', 5 + rng.int(15)],
    ['crash', rng.int(3)],
    ['restart', 1 + rng.int(4)],
    ['partition', rng.int(3)],
    ['booth', rng.chance(0.3) ? 5 + rng.int(10) : rng.int(3)],
    ['campaign', rng.int(6)],
    ['compact', rng.int(2)],
    // hellos with new priorities reach the nodes at different times: lists differ for a while
    ['priorities', mode === 'elected' ? rng.int(3) : 0]
  ]
  const total = weights.reduce((sum, [, w]) => sum + w, 0)
  const midReadyCrash = rng.next() * 0.004
  const steps = opts.chaosSteps ?? rng.range(150, 600)
  for (let step = 0; step < steps; step++) {
    let r = rng.next() * total
    let action: Action = 'deliver'
    for (const [a, w] of weights) {
      if (r < w) {
        action = a
        break
      }
      r -= w
    }
    const up = upIds()
    const leader = up.find(id => cluster.paxos(id).status().role === 'leader')
    switch (action) {
      case 'deliver':
        for (let k = rng.range(1, 4); k > 0 && cluster.net.length > 0; k--) {
          // mostly oldest-first with some reordering; now and then any message, however old
          const i = rng.chance(reorder) ? rng.int(cluster.net.length) : rng.int(Math.min(3, cluster.net.length))
          if (rng.chance(loss)) {
            cluster.drop(i)
          } else {
            cluster.deliver(i, rng.chance(dup), holdCut)
          }
        }
        break
      case 'tick':
        if (rng.chance(0.5)) {
          up.forEach(id => { cluster.paxos(id).tick() })
        } else if (up.length > 0) {
          cluster.paxos(rng.pick(up)).tick()
        }
        break
      case 'propose': {
        const at = leader ?? (up.length > 0 ? rng.pick(up) : undefined)
        if (at != null) {
          for (let k = rng.range(1, 3); k > 0; k--) {
            tryPropose(cluster, at, `p${counter++}`)
          }
        }
        break
      }
      case 'crash':
        if (up.length > 0) {
          result.crashes++
          cluster.crash(rng.chance(0.5) && leader != null ? leader : rng.pick(up))
        }
        break
      case 'restart': {
        const down = ids.filter(id => !cluster.up(id))
        if (down.length > 0) {
          cluster.restart(rng.pick(down))
        }
        break
      }
      case 'partition':
        if (rng.chance(0.5)) {
          const shuffled = rng.shuffle(ids)
          const cut = rng.range(1, n - 1)
          cluster.partition([shuffled.slice(0, cut), shuffled.slice(cut)])
        } else {
          cluster.heal()
        }
        break
      case 'booth':
        if (leader != null) {
          const booth = pickBooth(rng, boothIds, mode === 'fixed' ? proposer : undefined)
          // a booth that needs a member whose votes are held back for its majority stops until
          // they count again, and for good if it is all there is (by design): not one to explore
          const held = forgetful?.heldAnywhere() ?? new Set<string>()
          if (booth.filter(m => !held.has(m)).length < Math.floor(booth.length / 2) + 1) break
          cluster.paxos(leader).changeBooth(booth)
          requestedBooths.push(booth)
          result.boothChanges++
        }
        break
      case 'campaign': {
        const mayLead = mode === 'fixed' ? up.filter(id => id === proposer) : up
        if (mayLead.length > 0) {
          cluster.paxos(rng.pick(mayLead)).campaign()
        }
        break
      }
      case 'priorities':
        if (up.length > 0) {
          const list = ids.map(id => ({ id, priority: rng.int(3) }))
          for (const id of rng.chance(0.5) ? up : [rng.pick(up)]) cluster.setCandidates(id, list)
        }
        break
      case 'compact':
        if (up.length > 0) {
          const id = rng.pick(up)
          const applied = cluster.paxos(id).status().applied
          if (applied > 0) {
            cluster.compact(id, rng.range(0, applied))
          }
        }
        break
    }
    if (readRng.chance(readRate)) {
      const at = leader ?? (up.length > 0 ? readRng.pick(up) : undefined)
      if (at != null) tryRead(cluster, at, `r${counter++}`)
    }
    // one member at a time has lost its votes: two in a booth of three would stop the chain for good, rightly
    // and never one a booth needs for its majority: the chain could not go on without its votes (by design)
    const victim = wipeRng.chance(wipeRate) && (forgetful?.settled() ?? true) ? wipeRng.pick(ids.filter(id => !(mode === 'fixed' && id === proposer))) : undefined
    if (victim != null && isSpare(cluster, genesis, victim) && requestedBooths.every(b => b.filter(m => m !== victim).length >= Math.floor(b.length / 2) + 1)) {
      cluster.wipe(victim)
      forgetful?.wiped(victim)
      result.wipes++
    }
    processSome(midReadyCrash)
    forgetful?.step()
    checkIds()
  }
  result.decided = cluster.decided.size

  // ---- heal: every link works, no loss; every node runs again, except now
  // and then one that no booth needs for its majority (progress needs a
  // majority, not everyone)
  cluster.heal()
  // the hellos arrive: every node, down ones too, ends with the same candidates
  if (mode === 'elected') {
    candidates = ids.map(id => ({ id, priority: rng.int(3) }))
    for (const id of ids) cluster.setCandidates(id, candidates)
  }
  // with a member's votes held back, the booth may need every other one for a majority
  const keepDown = reserved != null && result.wipes === 0 && isSpare(cluster, genesis, reserved) ? reserved : undefined
  const live = ids.filter(id => id !== keepDown)
  for (const id of ids) {
    if (id === keepDown) {
      cluster.crash(id)
    } else {
      cluster.restart(id)
    }
  }
  result.keptDown = keepDown
  // id → ballot of the leader it was submitted to; a client retries (same id)
  // only when that leader is gone, so a stable leader that loses a proposal fails the run
  const wanted = new Map<string, string>()
  const healProposals = opts.healProposals ?? 3
  const budget = opts.healRounds ?? 3000
  let round = 0
  let leadershipMoves = 0
  for (; round < budget; round++) {
    for (const id of live) {
      cluster.paxos(id).tick()
    }
    cluster.processAll()
    for (const item of rng.shuffle(cluster.net)) {
      cluster.deliver(cluster.net.indexOf(item))
    }
    cluster.processAll()
    forgetful?.step()
    checkIds()
    const leaders = live.filter(id => cluster.paxos(id).status().role === 'leader')
    if (leaders.length === 1) {
      const leader = cluster.paxos(leaders[0])
      const ballot = `${leader.status().ballot.round}.${leaders[0]}`
      for (const [id, at] of wanted) {
        if (at !== ballot && !isDecided(cluster, id) && tryPropose(cluster, leaders[0], id)) {
          wanted.set(id, ballot)
        }
      }
      if (wanted.size < healProposals && leader.status().inflight === 0) {
        const id = `h${wanted.size}`
        if (tryPropose(cluster, leaders[0], id)) {
          wanted.set(id, ballot)
        }
      }
    }
    // Bully: once healed, the best-ranked live candidate leads (it takes over from a lower one)
    if (wanted.size === healProposals && settled(cluster, live, new Set(wanted.keys())) && (forgetful?.settled() ?? true) && bestLeads(cluster, live, mode === 'elected' ? candidates : undefined)) {
      // a stable leader confirms a read at once
      const leader = live.find(id => cluster.paxos(id).status().role === 'leader')
      if (leader == null) continue
      const ctx = `heal-read-${round}`
      tryRead(cluster, leader, ctx)
      for (let i = 0; i < 10 && cluster.node(leader).reads.get(ctx) === 'pending'; i++) {
        for (const item of [...cluster.net]) cluster.deliver(cluster.net.indexOf(item))
        cluster.processAll()
      }
      const outcome = cluster.node(leader).reads.get(ctx)
      if (outcome == null || !outcome.startsWith('index=')) {
        // two challengers may take over at once (each before it heard the
        // other): the lower one may win that round, and the best takes over
        // again after its wait. Then the read is asked again, a few times at most.
        const moving = live.some(id => id !== leader && ['candidate', 'leader'].includes(cluster.paxos(id).status().role))
        if (outcome === 'failed=not-leader' && moving && ++leadershipMoves <= 3) continue
        throw new ProgressError(`a leader read at the settled leader ${leader} ended ${outcome ?? 'refused'}`)
      }
      break
    }
  }
  result.reads = cluster.confirmedReads
  result.healRounds = round
  if (round < budget) checkEveryProposalEnded(cluster, live)
  if (round >= budget) {
    const state = live.map(id => {
      const s = cluster.paxos(id).status()
      return `${id}: ${s.role} leader=${s.leader ?? '-'} commit=${s.commit} applied=${cluster.node(id).applied.length} inflight=${s.inflight} pending=${s.pending} ballot=${s.ballot.round}.${s.ballot.proposer} promised=${s.promised.round}.${s.promised.proposer} booth=${s.booth.join(',')}`
    })
    const held = forgetful?.settled() === false ? `\n  held back: ${forgetful.describe()}` : ''
    throw new ProgressError(`no progress after ${budget} heal rounds (proposed ${[...wanted].map(([id, b]) => `${id}@${b}`).join(',')})\n  ${state.join('\n  ')}${held}`)
  }
  return result
}

/**
 * Every proposal a running node took ended there: applied, or reported
 * dropped (a writer waiting on it hears its fate). One left open would hold
 * its writer until a deadline, or for good. The cluster has settled, so each
 * one has had its chance; a few more quiet rounds let reports still in a
 * Ready (an orphan's slot learned last) come out first.
 */
function checkEveryProposalEnded (cluster: Cluster, live: string[]): void {
  for (let i = 0; i < 20 && live.some(id => cluster.node(id).open.size > 0); i++) {
    for (const id of live) cluster.paxos(id).tick()
    cluster.stabilize()
  }
  const open = live.filter(id => cluster.node(id).open.size > 0).map(id => {
    const s = cluster.paxos(id).status()
    return `${id} (${s.role}, commit=${s.commit}): ${[...cluster.node(id).open].join(',')}`
  })
  if (open.length > 0) {
    throw new ProgressError(`proposals neither applied nor reported dropped by the node that took them:\n  ${open.join('\n  ')}`)
  }
}

function isDecided (cluster: Cluster, id: string): boolean {
  const key = valueKey({ kind: 'data', id, data: new TextEncoder().encode(id) })
  for (const v of cluster.decided.values()) {
    if (v === key) {
      return true
    }
  }
  return false
}

function tryRead (cluster: Cluster, at: string, ctx: string): void {
  try {
    cluster.readIndex(at, ctx)
  } catch (err) {
    const name = (err as Error).name
    if (name !== 'NotLeaderError' && name !== 'ProposalDroppedError') throw err
  }
}

function tryPropose (cluster: Cluster, at: string, id: string): boolean {
  try {
    cluster.paxos(at).propose({ id, data: new TextEncoder().encode(id) })
    cluster.proposed(id, at)
    return true
  } catch (err) {
    const name = (err as Error).name
    if (name === 'NotLeaderError' || name === 'ProposalDroppedError') {
      return false
    }
    if (name === 'DuplicateProposalError') {
      // already queued, in flight or decided at this leader: it will finish there
      return true
    }
    throw err
  }
}

function pickBooth (rng: Prng, ids: string[], must?: string): string[] {
  const size = Math.min(ids.length, rng.range(1, 4) === 1 ? 1 : 3)
  let booth = rng.shuffle(ids).slice(0, size)
  if (must != null && !booth.includes(must)) {
    booth = [must, ...booth.slice(1)]
  }
  return booth.sort()
}

/**
 * True when every booth the run ever used or proposed keeps a majority
 * without `id` (so progress must not need it).
 */
function isSpare (cluster: Cluster, genesis: string[], id: string): boolean {
  const booths = [genesis.join(',')]
  for (const slot of cluster.acceptances.values()) {
    booths.push(slot.booth)
    for (const at of slot.byBallot.values()) {
      if (at.value.startsWith('booth:')) {
        booths.push(at.value.slice(6))
      }
    }
  }
  return booths.every(b => {
    const members = b.split(',')
    return members.filter(m => m !== id).length >= Math.floor(members.length / 2) + 1
  })
}

/** Every wanted id applied everywhere, and every node applied the same number of slots. */
/** A fixed chain, or the best-ranked live candidate leads, alone (a deposed leader may not know it yet). */
function bestLeads (cluster: Cluster, live: string[], candidates: Candidate[] | undefined): boolean {
  if (candidates == null) return true
  const best = candidates.filter(c => live.includes(c.id)).sort(compareCandidates)[0]
  const leaders = live.filter(id => cluster.paxos(id).status().role === 'leader')
  return best != null && leaders.length === 1 && leaders[0] === best.id
}

function settled (cluster: Cluster, ids: string[], wanted: Set<string>): boolean {
  const lengths = new Set(ids.map(id => cluster.node(id).applied.length))
  if (lengths.size !== 1) {
    return false
  }
  for (const id of ids) {
    const applied = new Set(cluster.node(id).applied.map(d => valueKey(d.value)))
    for (const w of wanted) {
      if (!applied.has(valueKey({ kind: 'data', id: w, data: new TextEncoder().encode(w) }))) {
        return false
      }
    }
    if (cluster.paxos(id).status().commit !== cluster.node(id).applied.length) {
      return false
    }
  }
  return true
}
