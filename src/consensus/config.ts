/**
 * Configuration: defaults, and the checks that turn a bad PaxosConfig into
 * a PaxosConfigError before anything is created.
 */
import { PaxosConfigError } from './errors.ts'
import type { Candidate, PaxosConfig, ProposerProofs } from './types.ts'

export const DEFAULT_WINDOW = 8
export const DEFAULT_MAX_PENDING = 1024
export const DEFAULT_MAX_CATCHUP = 64
export const DEFAULT_MAX_DECIDED_PER_READY = 256
export const DEFAULT_MAX_CATCHUP_BYTES = 8 * 1024 * 1024

export interface Settings {
  id: string
  learners: string[]
  mode: 'fixed' | 'elected'
  proposer?: string
  candidates: Candidate[]
  electionTicks: number
  heartbeatTicks: number
  idleHeartbeatTicks: number
  rankTicks: number
  jitterTicks: number
  random: () => number
  window: number
  maxInflight: number
  maxPending: number
  maxCatchup: number
  maxCatchupBytes: number
  maxUndecidedBytes: number
  maxDecidedPerReady: number
  announceToBooth: boolean
  forgotVotes: boolean
  proofs?: ProposerProofs
}

function positive (value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new PaxosConfigError(`${name} must be a positive integer`)
  }
  return v
}

/** A copy of an elected chain's candidate list, checked. */
export function validateCandidates (list: readonly Candidate[]): Candidate[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new PaxosConfigError('election.candidates must list at least one candidate')
  }
  for (const c of list) {
    if (typeof c?.id !== 'string' || c.id.length === 0 || !Number.isFinite(c.priority)) {
      throw new PaxosConfigError('each candidate needs an id and a finite priority')
    }
  }
  return list.map(c => ({ id: c.id, priority: c.priority }))
}

export function settings (config: PaxosConfig): Settings {
  if (typeof config.id !== 'string' || config.id.length === 0) {
    throw new PaxosConfigError('id must be a peer id')
  }
  if (typeof config.random !== 'function') {
    throw new PaxosConfigError('random must be a function returning [0, 1)')
  }
  const electionTicks = positive(config.electionTicks, 10, 'electionTicks')
  const window = positive(config.window, DEFAULT_WINDOW, 'window')
  const maxInflight = positive(config.maxInflight, window, 'maxInflight')
  if (maxInflight > window) {
    throw new PaxosConfigError('maxInflight must not exceed window')
  }
  const election = config.election
  let candidates: Candidate[] = []
  if (election?.mode === 'fixed') {
    if (typeof election.proposer !== 'string' || election.proposer.length === 0) {
      throw new PaxosConfigError('election.proposer must be a peer id')
    }
  } else if (election?.mode === 'elected') {
    candidates = validateCandidates(election.candidates)
  } else {
    throw new PaxosConfigError('election.mode must be fixed or elected')
  }
  const learners = config.learners ?? []
  if (!Array.isArray(learners) || learners.some(l => typeof l !== 'string' || l.length === 0)) {
    throw new PaxosConfigError('learners must be peer ids')
  }
  const heartbeatTicks = positive(config.heartbeatTicks, 1, 'heartbeatTicks')
  const idleHeartbeatTicks = positive(config.idleHeartbeatTicks, heartbeatTicks, 'idleHeartbeatTicks')
  if (idleHeartbeatTicks < heartbeatTicks) {
    throw new PaxosConfigError('idleHeartbeatTicks must not be below heartbeatTicks')
  }
  const rankTicks = config.rankTicks ?? electionTicks
  if (!Number.isSafeInteger(rankTicks) || rankTicks < 0) {
    throw new PaxosConfigError('rankTicks must be a non-negative integer')
  }
  return {
    id: config.id,
    learners: [...learners],
    mode: election.mode,
    proposer: election.mode === 'fixed' ? election.proposer : undefined,
    candidates,
    electionTicks,
    heartbeatTicks,
    idleHeartbeatTicks,
    rankTicks,
    jitterTicks: positive(config.jitterTicks, Math.max(1, Math.floor(electionTicks / 2)), 'jitterTicks'),
    random: config.random,
    window,
    maxInflight,
    maxPending: positive(config.maxPending, DEFAULT_MAX_PENDING, 'maxPending'),
    maxCatchup: positive(config.maxCatchup, DEFAULT_MAX_CATCHUP, 'maxCatchup'),
    maxCatchupBytes: positive(config.maxCatchupBytes, DEFAULT_MAX_CATCHUP_BYTES, 'maxCatchupBytes'),
    maxUndecidedBytes: config.maxUndecidedBytes == null ? Number.POSITIVE_INFINITY : positive(config.maxUndecidedBytes, 0, 'maxUndecidedBytes'),
    maxDecidedPerReady: positive(config.maxDecidedPerReady, DEFAULT_MAX_DECIDED_PER_READY, 'maxDecidedPerReady'),
    announceToBooth: config.announceToBooth !== false,
    forgotVotes: config.forgotVotes === true,
    proofs: proofsOf(config)
  }
}

/** Proofs belong to the one proposer of a chain that has one: it alone signs, and members report to it alone. */
function proofsOf (config: PaxosConfig): ProposerProofs | undefined {
  const proofs = config.proofs
  if (proofs == null) return undefined
  if (config.election.mode !== 'fixed' || config.election.proposer !== config.id) {
    throw new PaxosConfigError('proofs are for the proposer of a chain with one proposer (mode fixed)')
  }
  if ([proofs.sign, proofs.verify, proofs.signCommit, proofs.verifyCommit].some(f => typeof f !== 'function')) {
    throw new PaxosConfigError('proofs must have sign, verify, signCommit and verifyCommit functions')
  }
  return proofs
}
