/**
 * What a keyed write says when an error reaches it on its path: an error of
 * ours (a class of ours with an HTTP status) keeps its kind; any other (a
 * TypeError, a RangeError, an AbortError or a TimeoutError from a lower layer,
 * libp2p's own errors, LevelDB's) says nothing of an earlier attempt under the
 * key, which may have committed: CommitTimeoutError with mayHaveCommitted,
 * the original as its cause. A real node (libp2p over TCP on 127.0.0.1,
 * LevelDB in a temp dir), its keyed write's look for an end of booth under
 * its key (VGuardDB.boothAppended) made to fail once with the error.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { NotStartedError as Libp2pNotStartedError, StreamResetError } from '@libp2p/interface'
import { TestCluster } from '../../utils/nodes.ts'
import type { VGuardNode } from '../../../src/node/index.ts'
import { OWN_ERRORS } from '../../../src/node/own-errors.ts'
import { hasStatus } from '../../../src/http/errors.ts'
import { InvalidTransactionError } from '../../../src/chain/index.ts'
import { NotStartedError } from '../../../src/protocols/errors.ts'
import { ChainRecoveryError, NotProposerError } from '../../../src/node/consensus-errors.ts'

const utf8 = new TextEncoder()

/** `node`'s next keyed write to its own chain meets `err` where it looks for an end of booth under its key. */
function failNextLookup (node: VGuardNode, err: unknown): void {
  const { vguarddb } = node
  const boothAppended = vguarddb.boothAppended.bind(vguarddb)
  vguarddb.boothAppended = async (id) => {
    vguarddb.boothAppended = boothAppended
    throw err
  }
}

describe('node - a keyed write\'s failure of no kind of ours', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('is CommitTimeoutError with mayHaveCommitted and the original as its cause; an error of ours keeps its kind', async () => {
    const node = await cluster.create()
    await node.start()
    const untyped: Array<[unknown, RegExp]> = [
      [new TypeError('Cannot read properties of undefined (reading \'height\')'), /^TypeError: Cannot read properties/],
      [new RangeError('Invalid array length'), /^RangeError: Invalid array length/],
      [new DOMException('This operation was aborted', 'AbortError'), /^AbortError: This operation was aborted/],
      [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), /^TimeoutError: The operation was aborted due to timeout/],
      [new StreamResetError('the stream was reset'), /^StreamResetError: the stream was reset/],
      // libp2p's, named as one of ours (the protocols' NotStartedError, HTTP 503): not ours, whatever its name
      [new Libp2pNotStartedError('libp2p is not started'), /^NotStartedError: libp2p is not started/]
    ]
    for (const [i, [err, said]] of untyped.entries()) {
      failNextLookup(node, err)
      const failed = await node.put('k', utf8.encode('v'), { idempotencyKey: `untyped-${i}` }).then(() => 'resolved', (e: unknown) => e)
      expect(failed, String(err)).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(said), cause: err })
      expect((failed as Error).message).toMatch(/an earlier attempt under the same idempotency key .* may still commit, whole or not at all: a retry with the key gets its outcome$/)
    }
    // a thrown value that is no Error at all
    failNextLookup(node, 'a string')
    await expect(node.put('k', utf8.encode('v'), { idempotencyKey: 'not-an-error' })).rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(/^Error: a string;/) })

    // errors of ours keep their kind and status
    const ours = [new InvalidTransactionError('a bad transaction')]
    for (const err of ours) {
      failNextLookup(node, err)
      await expect(node.put('k', utf8.encode('v'), { idempotencyKey: `typed-${err.name}` })).rejects.toBe(err)
    }
  })

  it('an error of ours that says this attempt was not taken (a 503 with no flag) keeps its kind and gains mayHaveCommitted: an earlier attempt may commit', async () => {
    const node = await cluster.create()
    await node.start()
    const refusals: Array<[Error, RegExp]> = [
      [new NotStartedError('the service is not started'), /^the service is not started; an earlier attempt/],
      // a vehicle that lost its database and cannot fetch its chain back: the blocks it lacks may hold the earlier attempt
      [new ChainRecoveryError('this vehicle lost its database (x): nothing was written; it writes its chain again once it has it back'), /^this vehicle lost its database \(x\): this attempt wrote nothing; it writes/],
      [new ChainRecoveryError('blocks 3 to 4 were acknowledged. Nothing was written; the next write asks again'), /acknowledged\. This attempt wrote nothing; the next write asks again; an earlier attempt/],
      [new NotProposerError('m does not lead the chain', 'L'), /^m does not lead the chain; an earlier attempt/]
    ]
    for (const [err, said] of refusals) {
      failNextLookup(node, err)
      const failed = await node.put('k', utf8.encode('v'), { idempotencyKey: `refused-${err.name}` }).then(() => 'resolved', (e: unknown) => e)
      expect(failed, err.message).toBeInstanceOf(err.constructor)
      expect(failed, err.message).toMatchObject({ name: err.name, mayHaveCommitted: true, message: expect.stringMatching(said) })
      expect((failed as Error).message).toMatch(/an earlier attempt under the same idempotency key .* may still commit, whole or not at all: a retry with the key gets its outcome$/)
    }
    // the leader a NotProposerError names stays
    failNextLookup(node, new NotProposerError('m does not lead the chain', 'L'))
    await expect(node.put('k', utf8.encode('v'), { idempotencyKey: 'refused-leader' })).rejects.toMatchObject({ leader: 'L' })
  })

  it('every error of ours a keyed write keeps has an HTTP status of its own', () => {
    for (const kind of OWN_ERRORS) expect(hasStatus(kind.name), kind.name).toBe(true)
    expect(hasStatus('TypeError')).toBe(false)
  })
})
