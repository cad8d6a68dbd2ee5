/**
 * The client side of every request/response protocol under randomized bad
 * answers, with real nodes over TCP and real LevelDB. A vehicle (M) whose
 * chain A and B back up answers A's reads, forwarded writes, syncs and
 * replication offers with mutations of valid answers (fields at extreme
 * values, bits flipped, frames cut short, bytes with no length prefix), then
 * ends the stream. Every call A makes must end, with an answer that holds
 * up (a block that verifies) or a typed error, never a TypeError or a
 * RangeError from a decoder; and nothing M sends lands in A's store unless it
 * verifies: every chain A holds still verifies end to end, its copy of M's
 * chain is unchanged below what M may still extend, and A still commits.
 *
 * The seed is printed with every failure; FUZZ_SEED=<n> replays that run.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { prng } from '../utils/random.ts'
import { checkedChains } from '../utils/chains.ts'
import { mutateBytes, mutatedFrame, pick } from '../utils/mutate.ts'
import type { Codec, Json, Random } from '../utils/mutate.ts'
import { decodeBlock, encodeBlock, toHex, verifyHeader } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { RedirectReadResult } from '../../src/protocols/read/redirect.ts'
import { protocolId } from '../../src/protocols/constants.ts'
import { PROTOCOL_NAME as SYNC_NAME, PROTOCOL_VERSION as SYNC_VERSION } from '../../src/protocols/sync/index.ts'
import { SyncResponse } from '../../src/protocols/sync/pb/sync.ts'
import { READ_PROTOCOL, ReadRequest, readRequest, ReadResponse } from '../../src/protocols/read/index.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'
import { WRITE_PROTOCOL, WriteResponse } from '../../src/protocols/write/index.ts'

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Calls per protocol (FUZZ_ROUNDS=<n> for a longer hunt). */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 60)
/** Far above every client's own deadline: a call still pending after it is a hang. */
const CALL_DEADLINE = 30_000
/** What a decoder or a bug throws, never a client's answer to bad input. */
const UNTYPED = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'])

const utf8 = new TextEncoder()

/** One protocol M answers badly, and the calls of A's that reach it. */
interface Victim {
  protocol: string
  response: Codec<any>
  answers: Json[]
  /** A call resolves to a label for how it went ("served by M", …), or to nothing. */
  calls: Array<(random: Random) => Promise<string | undefined | object>>
}

/**
 * M's handler for a protocol from now on: it reads one request, answers 1–3
 * mutated frames (or bytes with no length prefix), and ends the stream.
 */
async function answerBadly (M: VGuardNode, victim: Victim, random: Random, peers: string[]): Promise<void> {
  await M.libp2p.unhandle(victim.protocol)
  await M.libp2p.handle(victim.protocol, async (stream: Stream) => {
    const r = prng(Math.floor(random() * 2 ** 31))
    const lp = lpStream(stream, { maxDataLength: 64 * 1024 * 1024 })
    try {
      await lp.read({ signal: AbortSignal.timeout(5_000) })
      if (r() < 0.8) {
        for (let n = 1 + Math.floor(r() * 3); n > 0; n--) await lp.write(mutatedFrame(victim.response, victim.answers, r, peers), { signal: AbortSignal.timeout(5_000) })
      } else {
        stream.send(mutateBytes(mutatedFrame(victim.response, victim.answers, r, peers), r))
      }
      await stream.close({ signal: AbortSignal.timeout(5_000) })
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}

/** How a call ended: 'ok', or the error's name; a call past CALL_DEADLINE is 'hung'. */
async function outcome (call: Promise<string | undefined | object>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<string>(resolve => { timer = setTimeout(() => { resolve('hung') }, CALL_DEADLINE) })
  try {
    return await Promise.race([call.then((label) => typeof label === 'string' ? `ok (${label})` : 'ok', (err: unknown) => err instanceof Error ? (UNTYPED.has(err.name) ? `${err.name}: ${err.message}` : err.name) : `non-error ${String(err)}`), hung])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A read with redirect that asked M first: the blocks it returns verify by
 * themselves (hash over the header), whoever served them; labelled with what
 * the read made of M's answer (served, error, unreachable, …).
 */
function checkedRead (read: RedirectReadResult, m: string): string {
  for (const bytes of read.response.blocks) verifyHeader(decodeBlock(bytes))
  return `M ${read.path.find(p => p.peerId === m)?.outcome ?? 'not asked'}`
}

describe(`protocols - clients under randomized bad answers (FUZZ_SEED=${SEED})`, () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('every call ends with a checked answer or a typed error, and nothing unverified is stored', async () => {
    const [A, B, M] = await connectedSwarm(cluster, 3, { kBackups: 2, commitTimeout: 3_000 })
    const a = A.peerId.toString()
    const m = M.peerId.toString()
    const peers = [a, B.peerId.toString(), m]
    for (let i = 1; i <= 3; i++) await M.put(`own/${i}`, utf8.encode(`fix ${i}`))
    await A.put('gps/1', utf8.encode('a'))
    await waitFor(async () => (await A.chains.info(m))?.height === 3 && A.vguarddb.tables.get(m) != null, { message: 'A holds M\'s chain and its table' })
    const mBlocks: Block[] = []
    for await (const block of A.chains.blocks(m)) mBlocks.push(block)
    const table = A.vguarddb.tables.get(m)?.signed ?? new Uint8Array()
    const tip = mBlocks[mBlocks.length - 1]

    const victims: Victim[] = [
      {
        protocol: READ_PROTOCOL,
        response: ReadResponse,
        answers: [
          { status: ReadResponse.Status.OK, role: ReadResponse.Role.PROPOSER, height: 3, epoch: 1, value: utf8.encode('fix 1'), valueHeight: 1, blocks: [], table, tipHash: tip.hash, message: '', leader: '' },
          { status: ReadResponse.Status.OK, role: ReadResponse.Role.PROPOSER, height: 3, epoch: 1, value: new Uint8Array(), valueHeight: 0, blocks: mBlocks.map(b => encodeBlock(b)), table, tipHash: tip.hash, message: '', leader: '' },
          { status: ReadResponse.Status.REDIRECT, role: ReadResponse.Role.STALE, height: 3, epoch: 1, value: new Uint8Array(), valueHeight: 0, blocks: [], table, tipHash: tip.hash, message: '', leader: '' },
          { status: ReadResponse.Status.NOT_FOUND, role: ReadResponse.Role.PROPOSER, height: 3, epoch: 1, value: new Uint8Array(), valueHeight: 0, blocks: [], table, tipHash: tip.hash, message: 'no such key', leader: '' }
        ],
        calls: [
          async (r) => checkedRead(await A.vguarddb.readBlock(m, 1 + Math.floor(r() * 3)), m),
          async (r) => checkedRead(await A.vguarddb.readRemote(readRequest({ kind: ReadRequest.Kind.RANGE, chainId: m, height: 1, to: 1 + Math.floor(r() * 3) })), m),
          async () => checkedRead(await A.vguarddb.readKey(m, 'own/1'), m)
        ]
      },
      {
        protocol: WRITE_PROTOCOL,
        response: WriteResponse,
        answers: [
          { status: WriteResponse.Status.OK, height: 4, hash: tip.hash, leader: '', message: '', replication: WriteResponse.Replication.COMPLETE, backups: [a] },
          { status: WriteResponse.Status.NOT_LEADER, height: 0, hash: new Uint8Array(), leader: m, message: 'not me', replication: WriteResponse.Replication.NOT_REPORTED, backups: [] },
          { status: WriteResponse.Status.COMMIT_TIMEOUT, height: 0, hash: new Uint8Array(), leader: '', message: 'slow', replication: WriteResponse.Replication.NOT_REPORTED, backups: [] }
        ],
        calls: [async (r) => await A.put(`w/${Math.floor(r() * 1000)}`, utf8.encode('v'), { chainId: m, timeout: 3_000 })]
      },
      {
        protocol: protocolId(SYNC_NAME, SYNC_VERSION),
        response: SyncResponse,
        answers: [
          { status: SyncResponse.Status.OK, height: 3, tipHash: tip.hash, blocks: [], done: false, message: '' },
          { status: SyncResponse.Status.OK, height: 5, tipHash: tip.hash, blocks: mBlocks.map(b => ({ header: encodeBlock({ ...b, payload: undefined }), payload: b.payload })), done: true, message: '' },
          { status: SyncResponse.Status.NOT_FOUND, height: 0, tipHash: new Uint8Array(), blocks: [], done: true, message: '' }
        ],
        calls: [
          async () => await A.sync.tip(M.peerId, m),
          async () => await A.sync.fetch(M.peerId, m, { vouch: { height: 5, hash: tip.hash } }),
          async () => await A.sync.fetch(M.peerId, m)
        ]
      },
      {
        protocol: REPLICATE_PROTOCOL,
        response: ReplicateResponse,
        answers: [
          { status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(), free: 1_000_000, message: '' },
          { status: ReplicateResponse.Status.OK, height: 1, tipHash: tip.hash, free: 1_000_000, message: '' },
          { status: ReplicateResponse.Status.NO_CAPACITY, height: 0, tipHash: new Uint8Array(), free: 0, message: 'full' }
        ],
        calls: [async () => await A.vguarddb.replicate.replicateTo(M.peerId, a)]
      }
    ]

    const random = prng(SEED)
    const problems: string[] = []
    for (const victim of victims) {
      await answerBadly(M, victim, random, peers)
      const outcomes = new Map<string, number>()
      for (let round = 0; round < ROUNDS; round++) {
        const r = prng(Math.floor(random() * 2 ** 31))
        const result = await outcome(pick(r, victim.calls)(r))
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1)
        if (result === 'hung' || UNTYPED.has(result.split(':')[0]) || result.startsWith('non-error')) problems.push(`${victim.protocol}: a call ended ${result}`)
      }
      console.log(`fuzz clients of ${victim.protocol}: ${[...outcomes].map(([k, n]) => `${k} ×${n}`).join(', ')}`)
      // the bad answers reach the clients' checks: some calls fail, or (reads) go past M's answer
      if ([...outcomes.keys()].every(k => k === 'ok' || k === 'ok (M served)')) problems.push(`${victim.protocol}: no bad answer was refused`)
    }
    expect(problems, `FUZZ_SEED=${SEED}`).toEqual([])

    // A's copy of M's chain is what it was up to height 3; whatever A stored verifies
    const chains = await checkedChains(A)
    expect(chains.get(m)?.slice(0, 3), `FUZZ_SEED=${SEED}`).toEqual(mBlocks.map(b => toHex(b.hash)))
    const after = await A.put('after-fuzz', utf8.encode('ok'))
    expect(after.height).toBe(2)
  }, 300_000)
})
