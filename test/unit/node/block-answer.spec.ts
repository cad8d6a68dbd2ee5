/**
 * Blocks a holder answers, as a reader takes them (src/node/block-answer.ts):
 * only blocks that hash right, carry their own payload (or none, pruned), are
 * the ones asked for and link up count as an answer.
 */
import { describe, it, expect } from 'vitest'
import { encodeBlock, tipOf, withoutPayload } from '../../../src/chain/index.ts'
import type { Block } from '../../../src/chain/index.ts'
import { checkedBlock, checkedBlockAnswer, checkedRun } from '../../../src/node/block-answer.ts'
import { ReadRequest, readRequest, readResponse, ReadResponse } from '../../../src/protocols/read/index.ts'
import type { BackupTable } from '../../../src/backup/index.ts'
import { chainOf, enc as utf8, nextBlock } from '../storage/helpers.ts'

/** A block's record as a read response carries it. */
const record = (block: Block): Uint8Array<ArrayBuffer> => encodeBlock(block) as Uint8Array<ArrayBuffer>

describe('node - blocks answered to a read', () => {
  const [b1, b2] = chainOf('vehicle-a', 2)

  it('is taken whole, or pruned to its header', () => {
    expect(checkedBlock('vehicle-a', 2, [encodeBlock(b2)]).hash).toEqual(b2.hash)
    const pruned = checkedBlock('vehicle-a', 2, [encodeBlock(withoutPayload(b2))])
    expect(pruned.hash).toEqual(b2.hash)
    expect(pruned.payload).toBeUndefined()
  })

  it.each([
    ['no block', [], /expected one block, got 0/],
    ['two blocks', [encodeBlock(b1), encodeBlock(b2)], /expected one block, got 2/],
    ['bytes that are no block', [new Uint8Array([0xff, 0xff, 0xff])], /BadHeader/],
    ['another height', [encodeBlock(b1)], /asked for block 2 of vehicle-a, got block 1 of vehicle-a/],
    ['a payload that is not its own', [encodeBlock({ ...b2, payload: b1.payload })], /BadPayload/]
  ])('is refused when it is %s', (_, records, error) => {
    expect(() => checkedBlock('vehicle-a', 2, records)).toThrow(error)
  })

  it('is refused when it is of another chain', () => {
    const [other] = chainOf('vehicle-b', 1)
    expect(() => checkedBlock('vehicle-a', 1, [encodeBlock(other)])).toThrow(/got block 1 of vehicle-b/)
  })

  it('takes a run that starts where asked and links up, and refuses one that skips, breaks a link or goes past its end', () => {
    const chain = chainOf('vehicle-a', 4)
    const records = chain.map(b => encodeBlock(b))
    expect(checkedRun('vehicle-a', 2, records.slice(1, 3), 3).map(b => b.header.height)).toEqual([2, 3])
    expect(checkedRun('vehicle-a', 1, records).map(b => b.header.height)).toEqual([1, 2, 3, 4])
    expect(() => checkedRun('vehicle-a', 2, records.slice(1, 3), 2)).toThrow(/block 3 of vehicle-a is past the last one asked for \(2\)/)
    expect(() => checkedRun('vehicle-a', 1, [records[0], records[2]])).toThrow(/asked for block 2 of vehicle-a, got block 3/)
    // another chain's block 2 under the same id: it hashes right, but does not point to this block 1
    const [, otherTwo] = chainOf('vehicle-a', 2, () => ({ timestamp: 7 }))
    expect(() => checkedRun('vehicle-a', 1, [records[0], encodeBlock(otherTwo)])).toThrow(/block 2 of vehicle-a does not point to the block 1/)
  })

  it('turns an answer whose blocks do not verify into an error, and leaves other answers as they are', () => {
    const request: ReadRequest = readRequest({ kind: ReadRequest.Kind.BLOCK, chainId: 'vehicle-a', height: 2 })
    const ok: ReadResponse = readResponse({ role: ReadResponse.Role.ACTIVE, height: 2, epoch: 1, blocks: [record(b2)], tipHash: b2.hash as Uint8Array<ArrayBuffer> })
    expect(checkedBlockAnswer(request, ok)).toBe(ok)
    const forged = checkedBlockAnswer(request, { ...ok, blocks: [record({ ...b2, payload: b1.payload })] })
    expect(forged).toMatchObject({ status: ReadResponse.Status.ERROR, blocks: [] })
    expect(forged.message).toMatch(/^blocks that do not verify: .*BadPayload/)
    const range = { ...request, kind: ReadRequest.Kind.RANGE, height: 1, to: 2 }
    expect(checkedBlockAnswer(range, { ...ok, blocks: [record(b1), record(b2)] }).status).toBe(ReadResponse.Status.OK)
    expect(checkedBlockAnswer(range, { ...ok, blocks: [] }).status).toBe(ReadResponse.Status.ERROR)
    const notFound = { ...ok, status: ReadResponse.Status.NOT_FOUND, blocks: [] }
    expect(checkedBlockAnswer(request, notFound)).toBe(notFound)
  })

  // the probe's lying backup: block 2 made up, hashing right and pointing to the real block 1
  it('refuses a block at the height of the reader\'s table that is not the tip the table names', () => {
    const forgedTwo = nextBlock(tipOf(b1), { transactions: [{ key: 'k2', value: utf8.encode('made up') }] })
    const table: BackupTable = { chainId: 'vehicle-a', epoch: 3, proposer: 'vehicle-a', active: ['B'], obsolete: [], height: 2, tipHash: b2.hash as Uint8Array<ArrayBuffer>, timestamp: 0 }
    const block: ReadRequest = readRequest({ kind: ReadRequest.Kind.BLOCK, chainId: 'vehicle-a', height: 2 })
    const range: ReadRequest = { ...block, kind: ReadRequest.Kind.RANGE, height: 1, to: 2 }
    const answer = (blocks: Block[]): ReadResponse => readResponse({ role: ReadResponse.Role.ACTIVE, height: 2, epoch: 3, blocks: blocks.map(record), tipHash: blocks.at(-1)?.hash as Uint8Array<ArrayBuffer> })
    // it checks out on its own: only the table shows it is not the chain's
    expect(checkedBlockAnswer(block, answer([forgedTwo])).status).toBe(ReadResponse.Status.OK)
    for (const [request, blocks] of [[block, [forgedTwo]], [range, [b1, forgedTwo]]] as const) {
      const checked = checkedBlockAnswer(request, answer([...blocks]), table)
      expect(checked).toMatchObject({ status: ReadResponse.Status.ERROR, blocks: [] })
      expect(checked.message).toMatch(/^blocks that do not verify: block 2 of vehicle-a \(\w+\) is not the tip its signed table names \(epoch 3: \w+\)/)
    }
    // the real tip, blocks below the table's height and a table signed at height 0 vouch for nothing else
    expect(checkedBlockAnswer(block, answer([b2]), table).status).toBe(ReadResponse.Status.OK)
    expect(checkedBlockAnswer(range, answer([b1, b2]), table).status).toBe(ReadResponse.Status.OK)
    expect(checkedBlockAnswer({ ...block, height: 1 }, answer([b1]), table).status).toBe(ReadResponse.Status.OK)
    expect(checkedBlockAnswer(block, answer([forgedTwo]), { ...table, height: 0 }).status).toBe(ReadResponse.Status.OK)
  })
})
