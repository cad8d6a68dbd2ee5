/**
 * Errors of the consensus state machine. Branch on `err.name`, never on messages.
 * Every method that throws one of these has changed nothing.
 */

/** This node does not lead (or leads no longer); `leader` is who does, when known. */
export class NotLeaderError extends Error {
  static name = 'NotLeaderError'
  readonly leader?: string
  constructor (message = 'Not the leader', leader?: string) {
    super(message)
    this.name = 'NotLeaderError'
    this.leader = leader
  }
}

/** The leader cannot take the proposal now (its queue is full); retry later. */
export class ProposalDroppedError extends Error {
  static name = 'ProposalDroppedError'
  constructor (message = 'Proposal dropped') {
    super(message)
    this.name = 'ProposalDroppedError'
  }
}

/** A proposal with this id is already queued, in flight or decided here; `slot` when known. */
export class DuplicateProposalError extends Error {
  static name = 'DuplicateProposalError'
  readonly id: string
  readonly slot?: number
  constructor (message = 'Duplicate proposal', id = '', slot?: number) {
    super(message)
    this.name = 'DuplicateProposalError'
    this.id = id
    this.slot = slot
  }
}

/** A proposal is malformed (empty id, data not bytes). */
export class InvalidProposalError extends Error {
  static name = 'InvalidProposalError'
  constructor (message = 'Invalid proposal') {
    super(message)
    this.name = 'InvalidProposalError'
  }
}

/** A booth is malformed (empty, duplicate or non-string members). */
export class InvalidBoothError extends Error {
  static name = 'InvalidBoothError'
  constructor (message = 'Invalid booth') {
    super(message)
    this.name = 'InvalidBoothError'
  }
}

/** A message is malformed, not addressed to us, or forged (a ballot not owned by its sender). */
export class InvalidMessageError extends Error {
  static name = 'InvalidMessageError'
  constructor (message = 'Invalid message') {
    super(message)
    this.name = 'InvalidMessageError'
  }
}

/** This node may not campaign (fixed-proposer chain, or not a candidate). */
export class ElectionDisabledError extends Error {
  static name = 'ElectionDisabledError'
  constructor (message = 'This node may not campaign') {
    super(message)
    this.name = 'ElectionDisabledError'
  }
}

/** The configuration or persisted state is unusable. */
export class PaxosConfigError extends Error {
  static name = 'PaxosConfigError'
  constructor (message = 'Invalid Paxos configuration') {
    super(message)
    this.name = 'PaxosConfigError'
  }
}

/** ready()/advance()/compact()/installSnapshot() were called out of order. */
export class ReadyStateError extends Error {
  static name = 'ReadyStateError'
  constructor (message = 'Ready called out of order') {
    super(message)
    this.name = 'ReadyStateError'
  }
}
