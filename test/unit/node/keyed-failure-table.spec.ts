/**
 * What a keyed write's failure says (keyedFailure), row by row of its table
 * (KEYED_FLAGGED): each error of ours that speaks of this attempt keeps its
 * kind and HTTP status, flagged mayHaveCommitted; a request error stays as it
 * is; any other is CommitTimeoutError, flagged. The rule alone, over errors;
 * keyed-failure.spec.ts runs it on a real node.
 */
import { describe, it, expect } from 'vitest'
import { keyedFailure } from '../../../src/node/write-failures.ts'
import { statusOf } from '../../../src/http/errors.ts'
import { ChainNotFoundError, DiskFullError, StoreClosedError } from '../../../src/storage/errors.ts'
import { AnswerCutOffError, InvalidMessageError, MalformedMessageError, NotFoundError, NotStartedError, ProtocolError, TimeoutError } from '../../../src/protocols/errors.ts'
import { NodeStoppedError } from '../../../src/node/errors.ts'
import { ReplicationStoppedError } from '../../../src/node/vguarddb.ts'
import {
  ChainRecoveryError, CommitTimeoutError, ConsensusStoppedError, NoLeaderError, NoQuorumError, NotProposerError, OwnChainConflictError,
  ProposerUnreachableError, QuorumReadError, RefusedWriteError
} from '../../../src/node/consensus-errors.ts'
import { InvalidTransactionError } from '../../../src/chain/errors.ts'

function flagOf (err: Error): unknown {
  return (err as { mayHaveCommitted?: unknown }).mayHaveCommitted
}

// [error met by the attempt, name it is answered with, HTTP status]
const ROWS: Array<[Error, string, number]> = [
  [new StoreClosedError('the store stopped', false), 'StoreClosedError', 503],
  [new NoQuorumError('no quorum'), 'CommitTimeoutError', 503],
  [new ConsensusStoppedError('stopped'), 'ConsensusStoppedError', 503],
  [new DiskFullError('full'), 'DiskFullError', 507],
  [new NoLeaderError('no leader'), 'NoLeaderError', 503],
  [new ProposerUnreachableError('unreachable'), 'ProposerUnreachableError', 503],
  [new ChainRecoveryError('not back'), 'ChainRecoveryError', 503],
  [new NotStartedError('not started'), 'NotStartedError', 503],
  [new NotProposerError('not the proposer', 'leader-id'), 'NotProposerError', 503],
  [new OwnChainConflictError('nothing was written: conflict'), 'OwnChainConflictError', 409],
  [new RefusedWriteError('refused'), 'RefusedWriteError', 403],
  [new NodeStoppedError('stopping'), 'NodeStoppedError', 503],
  [new TimeoutError('timed out'), 'TimeoutError', 504],
  [new ProtocolError('bad status'), 'ProtocolError', 502],
  [new ReplicationStoppedError('cut'), 'ReplicationStoppedError', 503],
  [new ChainNotFoundError('no such chain'), 'ChainNotFoundError', 404],
  [new AnswerCutOffError('cut off'), 'AnswerCutOffError', 503],
  [new MalformedMessageError('malformed'), 'MalformedMessageError', 502],
  [new InvalidMessageError('invalid'), 'InvalidMessageError', 502],
  [new NotFoundError('not there'), 'NotFoundError', 404]
]

describe('keyedFailure', () => {
  for (const [thrown, name, status] of ROWS) {
    it(`${thrown.name} is answered ${name} (${status}) with mayHaveCommitted`, () => {
      const err = keyedFailure(thrown)
      expect(err.name).toBe(name)
      expect(statusOf(err)).toBe(status)
      expect(flagOf(err)).toBe(true)
      expect(err.message).toContain('an earlier attempt under the same idempotency key')
    })
  }

  it('a NotProposerError keeps the leader it names', () => {
    expect((keyedFailure(new NotProposerError('x', 'leader-id')) as NotProposerError).leader).toBe('leader-id')
  })

  it('an error of ours already flagged stays as it is', () => {
    const flagged = new TimeoutError('timed out', true)
    expect(keyedFailure(flagged)).toBe(flagged)
  })

  it('a request error stays as it is, unflagged (no attempt of it can commit)', () => {
    const invalid = new InvalidTransactionError('bad')
    expect(keyedFailure(invalid)).toBe(invalid)
    expect(flagOf(invalid)).toBeUndefined()
  })

  it('a store closed with its node is the stop\'s: NodeStoppedError, flagged', () => {
    const err = keyedFailure(new StoreClosedError('closed', true))
    expect(err).toBeInstanceOf(NodeStoppedError)
    expect(flagOf(err)).toBe(true)
  })

  it('one of ours with no row (a read\'s QuorumReadError) and a foreign error are CommitTimeoutError, flagged', () => {
    for (const thrown of [new QuorumReadError('no quorum read'), new TypeError('boom')]) {
      const err = keyedFailure(thrown)
      expect(err).toBeInstanceOf(CommitTimeoutError)
      expect(statusOf(err)).toBe(503)
      expect(flagOf(err)).toBe(true)
    }
  })
})
