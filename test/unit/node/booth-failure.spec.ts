/**
 * What an unkeyed end of booth's failure says (unkeyedBoothFailure): an error
 * of no kind of ours once its block went to the store directly, or was
 * proposed, may have put the block in the chain; before, and for an error
 * of ours, it stays. The rule alone, over errors; keyed-write-flags.spec.ts
 * runs it on a real node, over HTTP too.
 */
import { describe, it, expect } from 'vitest'
import { unkeyedBoothFailure } from '../../../src/node/write-failures.ts'
import type { BoothProgress } from '../../../src/node/write-failures.ts'
import { DiskFullError, StoreClosedError } from '../../../src/storage/errors.ts'
import { NoQuorumError } from '../../../src/node/consensus-errors.ts'

const before: BoothProgress = { mayBeAppended: false, mayBeProposed: false }
const direct: BoothProgress = { mayBeAppended: true, mayBeProposed: false }
const proposed: BoothProgress = { mayBeAppended: false, mayBeProposed: true }

/** LevelDB's error for a database closed under its caller, as classic-level gives it. */
const closedDatabase = (): Error => Object.assign(new Error('Database is not open'), { code: 'LEVEL_DATABASE_NOT_OPEN' })
const typeError = (): TypeError => new TypeError('Cannot read properties of undefined (reading \'height\')')

describe('node - write failures - an unkeyed end of booth', () => {
  it('before its block went to the store or was proposed, any error stays as it is', () => {
    for (const err of [typeError(), closedDatabase(), new NoQuorumError()]) expect(unkeyedBoothFailure(err, before)).toBe(err)
  })

  it('after its block went to the store directly, an error not of ours says the block may have been appended; ours and a closed database stay', () => {
    const err = typeError()
    const failed = unkeyedBoothFailure(err, direct)
    expect(failed).toMatchObject({
      name: 'CommitTimeoutError',
      mayHaveCommitted: true,
      message: 'TypeError: Cannot read properties of undefined (reading \'height\'), after the end of booth\'s block went to the store: it may have been appended ' +
        '(read the chain before sending it again: a retry may append it twice)'
    })
    expect(failed.cause).toBe(err)
    // the append's own judgement: refused before the block was written, or its failure named (end-of-booth-append.ts)
    for (const own of [closedDatabase(), new StoreClosedError(), new DiskFullError(), new StoreClosedError('the end of booth\'s block failed on the disk', false, true)]) {
      expect(unkeyedBoothFailure(own, direct)).toBe(own)
    }
    // a code names an error named only 'Error'
    expect(unkeyedBoothFailure(Object.assign(new Error('IO error: 000005.ldb'), { code: 'LEVEL_IO_ERROR' }), direct).message).toMatch(/^LEVEL_IO_ERROR: IO error: 000005\.ldb, after/)
  })

  it('after its block was proposed, an error not of ours says it may still commit, a closed database that the node stopped; ours stay', () => {
    expect(unkeyedBoothFailure(typeError(), proposed)).toMatchObject({
      name: 'CommitTimeoutError',
      mayHaveCommitted: true,
      message: 'TypeError: Cannot read properties of undefined (reading \'height\'), after the end of booth\'s block was proposed: it may still commit, whole or not at all ' +
        '(a retry may commit it twice: an idempotency key makes a retry safe)'
    })
    for (const closed of [closedDatabase(), new StoreClosedError()]) {
      expect(unkeyedBoothFailure(closed, proposed)).toMatchObject({
        name: 'NodeStoppedError',
        mayHaveCommitted: true,
        message: expect.stringMatching(/^the node stopped and closed its database while the end of booth's block was under way \(.*\): it may have been proposed, and may still commit/)
      })
    }
    const own = new NoQuorumError()
    expect(unkeyedBoothFailure(own, proposed)).toBe(own)
  })

  it('a thrown value that is no Error is named as one', () => {
    expect(unkeyedBoothFailure('boom', proposed)).toMatchObject({ name: 'CommitTimeoutError', message: expect.stringMatching(/^Error: boom, after the end of booth's block was proposed/) })
  })
})
