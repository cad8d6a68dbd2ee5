/**
 * Read-only views of the chains: GET /chains/:id/blocks?from&to and
 * GET /chains/:id/kv?prefix&after (this node's copy), and
 * GET /chains/:id/blocks/:height and GET /chains/:id/kv/:key, from
 * this node's copy or, with ?consistency=leader|quorum, from the chain's
 * leader or Nr of its holders. (The redirect read is routes-vguarddb's.)
 */
import type { FastifyInstance } from 'fastify'
import { MAX_HEIGHT_TEXT } from './max-height.ts'
import type { Consistency, VGuardNode } from '../node/index.ts'
import { decodeTransactions, toHex, ZERO_HASH } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { InvalidRequestError, KeyNotFoundError } from './errors.ts'
import { encodeValue, keyEntryJson } from './encoding.ts'
import { checkChain, checkKey, onlyQuery, parseFlag, parseKeysQuery } from './params.ts'
import { explainQuorumError } from './quorum-holders.ts'
import { PayloadBudget, Reservation, takePage } from './payload-budget.ts'

/** One page of blocks: JSON of 100 blocks is already plenty for a browser. */
export const MAX_BLOCKS_PER_PAGE = 100
/**
 * Payload bytes a page carries at most (at least one block, whatever its
 * size). 100 blocks of up to 4 MiB each made a JSON answer over V8's longest
 * string: a 500 (RangeError) after some 600 MiB of memory.
 */
export const MAX_PAGE_PAYLOAD_BYTES = 16 * 1024 * 1024

/** The chain has no block at that height (yet), as far as the read could tell. */
export class BlockNotFoundError extends Error {
  static name = 'BlockNotFoundError'
  constructor (message = 'Block not found') {
    super(message)
    this.name = 'BlockNotFoundError'
  }
}

export function blockJson (block: Block, withTransactions: boolean): Record<string, unknown> {
  const h = block.header
  return {
    height: h.height,
    hash: toHex(block.hash),
    prevHash: toHex(h.prevHash),
    payloadHash: toHex(h.payloadHash),
    proposer: h.proposer,
    booth: h.booth,
    ballot: h.ballot ?? null,
    timestamp: h.timestamp,
    txCount: h.txCount,
    payloadBytes: h.payloadBytes,
    pruned: block.payload == null,
    ...(withTransactions && block.payload != null
      ? { transactions: decodeTransactions(block.payload).map(tx => tx.op === 'DELETE' ? { op: tx.op, key: tx.key } : { op: tx.op, key: tx.key, ...encodeValue(tx.value) }) }
      : {})
  }
}

function parseHeight (name: string, raw: string | undefined): number | undefined {
  // `?from=` is a height left out by mistake, not no height (it read the chain from 1: a probe)
  if (raw == null) return undefined
  if (!/^\d{1,15}$/.test(raw)) throw new InvalidRequestError(`${name}: a height (an integer from 1 to ${MAX_HEIGHT_TEXT}), got ${JSON.stringify(raw)}`)
  const n = Number(raw)
  if (n < 1) throw new InvalidRequestError(`${name}: heights start at 1`)
  return n
}

interface BlocksQuery { from?: string, to?: string, transactions?: string }

function parseConsistency (raw: string | undefined): Consistency {
  const consistency = raw ?? 'local'
  if (consistency !== 'local' && consistency !== 'leader' && consistency !== 'quorum') {
    throw new InvalidRequestError(`consistency: local, leader or quorum, got ${JSON.stringify(consistency)}`)
  }
  return consistency
}

/** A local read of a chain not held here says so; a vehicle's own chain is held, if only empty (as node.get has it). */
/** A local read's chain must be held here, and our own must not be short of what we acknowledged (a database lost). */
async function checkHeld (node: VGuardNode, id: string): Promise<void> {
  await node.consensus.checkHeldLocally(id)
}

/**
 * A held chain's height and tip, for a page of it: one held with no block
 * yet (our own, or the shared chain we run) is empty, not missing (it said
 * 404 "not held here" while the read protocol answered an empty page, a review).
 */
async function heldChainTip (node: VGuardNode, id: string): Promise<{ height: number, tipHash: Uint8Array }> {
  await checkHeld(node, id)
  return await node.chains.info(id) ?? { height: 0, tipHash: ZERO_HASH }
}

export function registerChainRoutes (server: FastifyInstance, node: VGuardNode, budget = new PayloadBudget()): void {
  server.get<{ Params: { id: string }, Querystring: BlocksQuery }>('/chains/:id/blocks', async (req, reply) => {
    const { id } = req.params
    onlyQuery(req.query, ['from', 'to', 'transactions'])
    const withTransactions = parseFlag('transactions', req.query.transactions, true)
    // a bad query is a bad query whatever the chain (it said 404 for a chain not held here)
    const from = parseHeight('from', req.query.from) ?? 1
    const asked = parseHeight('to', req.query.to)
    if (asked != null && asked < from) throw new InvalidRequestError('to must be ≥ from')
    const info = await heldChainTip(node, id)
    // no `to`: up to the tip — and `from` past the tip is an empty last page, not an error
    const to = asked ?? info.height
    let last = Math.min(to, info.height, from + MAX_BLOCKS_PER_PAGE - 1)
    const blocks: Array<Record<string, unknown>> = []
    if (from <= last) {
      const { page, next } = await takePage(node.chains.blocks(id, { from, to: last }), b => withTransactions ? b.payload?.byteLength ?? 0 : 0, new Reservation(budget, reply.raw), { maxBytes: MAX_PAGE_PAYLOAD_BYTES })
      blocks.push(...page.map(b => blockJson(b, withTransactions)))
      // the page ends before that block (full, or other reads hold the budget); `next` points at it
      if (next != null) last = next.header.height - 1
    }
    return {
      chainId: id,
      height: info.height,
      tipHash: toHex(info.tipHash),
      from,
      to: last,
      blocks,
      // where the next page starts, if the range asked for goes on
      next: last < Math.min(to, info.height) ? last + 1 : null
    }
  })

  server.get<{ Params: { id: string } }>('/chains/:id/kv', async (req, reply) => {
    const { id } = req.params
    onlyQuery(req.query, ['prefix', 'after', 'limit', 'values'])
    const { prefix, after, limit, values } = parseKeysQuery(req)
    const info = await heldChainTip(node, id)
    // a page ends at its limit, or before a value that would pass the page's bytes (or the budget other reads hold)
    const { page, next } = await takePage(node.chains.entries(id, { prefix, after, values }), e => e.value?.byteLength ?? 0, new Reservation(budget, reply.raw), { limit, maxBytes: MAX_PAGE_PAYLOAD_BYTES })
    return {
      chainId: id,
      height: info.height,
      prefix: prefix ?? '',
      entries: page.map(e => keyEntryJson(e, values)),
      // the key the next page starts after, if there are more
      next: next != null ? page[page.length - 1].key : null
    }
  })

  server.get<{ Params: { id: string, height: string }, Querystring: { consistency?: string, transactions?: string } }>('/chains/:id/blocks/:height', async (req, reply) => {
    const { id } = req.params
    // a path parameter is never optional: an empty one is a bad height, not "no height"
    const height = parseHeight('height', req.params.height)
    if (height == null) throw new InvalidRequestError(`height: a height (an integer from 1 to ${MAX_HEIGHT_TEXT}), got ""`)
    onlyQuery(req.query, ['consistency', 'transactions'])
    const withTransactions = parseFlag('transactions', req.query.transactions, true)
    const consistency = parseConsistency(req.query.consistency)
    if (consistency === 'local') await checkHeld(node, id)
    if (consistency !== 'local') checkChain(node, id)
    const read = await node.getBlock(id, height, { consistency }).catch((err: unknown) => { throw explainQuorumError(node, id, err) })
    if (read.block == null) {
      throw new BlockNotFoundError(`chain ${id} has no block ${height}${consistency === 'local' ? ' here' : ` (${consistency} read)`}`)
    }
    if (withTransactions) await new Reservation(budget, reply.raw).take(read.block.payload?.byteLength ?? 0)
    return { chainId: id, ...blockJson(read.block, withTransactions), consistency, servedBy: read.servedBy }
  })

  server.get<{ Params: { id: string, key: string }, Querystring: { consistency?: string } }>('/chains/:id/kv/:key', async (req, reply) => {
    const { id, key } = req.params
    // ?consistency=leader|quorum: ask the chain's proposer, or Nr holders that must agree
    onlyQuery(req.query, ['consistency'])
    const consistency = parseConsistency(req.query.consistency)
    checkKey(key)
    if (consistency !== 'local') {
      // peers are asked by chain id: it must name a vehicle or the shared chain
      // (local reads only look in this node's store, where a bad id is just not held)
      checkChain(node, id)
      const read = await node.get(id, key, { consistency }).catch((err: unknown) => { throw explainQuorumError(node, id, err) })
      if (read.value == null) throw new KeyNotFoundError(`key ${key} has no value in chain ${id} (${consistency} read)`)
      await new Reservation(budget, reply.raw).take(read.value.byteLength)
      return { key, ...encodeValue(read.value), height: read.height, consistency, servedBy: read.servedBy }
    }
    await checkHeld(node, id)
    try {
      const kv = await node.chains.get(id, key)
      if (kv == null) throw new KeyNotFoundError(`key ${key} has no value in chain ${id}`)
      await new Reservation(budget, reply.raw).take(kv.value.byteLength)
      return { key, ...encodeValue(kv.value), height: kv.height }
    } catch (err) {
      // retention removed the payload that held the value: it existed, it is gone
      if ((err as Error).name === 'PayloadPrunedError') return await reply.status(410).send({ error: 'PayloadPrunedError', message: (err as Error).message })
      throw err
    }
  })
}
