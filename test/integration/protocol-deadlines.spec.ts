/**
 * The request/response protocols (read, release, write) bound every exchange
 * with a timer that goes as soon as the exchange is over: a peer that never
 * answers costs the asker a TimeoutError, a caller's own signal ends the wait
 * at once, and an exchange that completes leaves no timer behind (each
 * AbortSignal.timeout made per request lived its full time and then built a
 * DOMException nobody read). A peer that opens a stream and says nothing is
 * cut off by the server's deadline.
 */
import { createHook } from 'node:async_hooks'
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReadService, ReadRequest, readRequest, ReadResponse } from '../../src/protocols/read/index.ts'
import { ReleaseService, ReleaseRejectedError } from '../../src/protocols/release/index.ts'
import { WriteService } from '../../src/protocols/write/index.ts'
import { WriteResponse } from '../../src/protocols/write/pb/write.ts'

const TIMEOUT = 400
/**
 * The deadline of exchanges that complete: what is checked is that their timers end with them, whatever
 * their length; 400 ms timed out a read on two loaded cores in CI (every timer's stack is captured).
 */
const COMPLETED_TIMEOUT = 10_000
const SILENT = '/vguard-test/silent/1.0.0'

function readService (node: VGuardNode, protocol: string, timeout = TIMEOUT): ReadService {
  return new ReadService({ libp2p: node.libp2p, store: node.chains, tables: node.vguarddb.tables, logger: defaultLogger() }, { protocol, timeout })
}

function releaseService (node: VGuardNode, protocol: string, timeout = TIMEOUT): ReleaseService {
  return new ReleaseService({ libp2p: node.libp2p, store: node.chains, tables: node.vguarddb.tables, logger: defaultLogger() }, { protocol, timeout })
}

function writeService (node: VGuardNode, protocol: string): WriteService {
  return new WriteService({
    libp2p: node.libp2p,
    logger: defaultLogger(),
    isMember: () => true,
    onWrite: async () => ({ height: 1, hash: new Uint8Array(32) })
  }, { protocol })
}

const tipRequest: ReadRequest = readRequest({ kind: ReadRequest.Kind.TIP, chainId: 'no-such-chain' })

/**
 * Every timer our request/response protocols made while `fn` ran that is still
 * pending after it, by duration. (libp2p's own per-stream negotiation timeout
 * and the Paxos streams' idle timers are not theirs to clear.)
 */
async function timersLeftBy (fn: () => Promise<void>): Promise<number[]> {
  const timers: Array<{ timer: { _idleTimeout?: number, _destroyed?: boolean }, ours: boolean }> = []
  const hook = createHook({
    init (_id, type, _trigger, resource) {
      if (type !== 'Timeout') return
      const stack = new Error().stack ?? ''
      timers.push({ timer: resource as { _idleTimeout?: number }, ours: stack.includes('/src/protocols/') && !stack.includes('/src/protocols/paxos/') })
    }
  }).enable()
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 30
  try {
    await fn()
  } finally {
    hook.disable()
    Error.stackTraceLimit = limit
  }
  const left = (): number[] => timers.filter(t => t.ours && t.timer._destroyed !== true).map(t => t.timer._idleTimeout ?? 0)
  // the server's end of the last exchange closes a moment after the asker has its answer, and with it
  // goes the timer that would reset it if the asker kept its end open (resetUnlessClosed)
  await waitFor(() => left().length === 0, { timeout: 2_000, interval: 10 }).catch(() => {})
  return left()
}

/** A peer that takes the stream and never answers; the stream stays open until the asker gives up. */
async function silentPeer (node: VGuardNode): Promise<void> {
  await node.libp2p.handle(SILENT, async (stream: Stream) => {
    await new Promise(resolve => { stream.addEventListener('close', resolve) })
  })
}

describe('protocols - every exchange has a deadline that ends with it', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a completed read, release or forwarded write leaves no timer behind on either side', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const served = [readService(b, '/vguard-test/read/1.0.0', COMPLETED_TIMEOUT), releaseService(b, '/vguard-test/release/1.0.0', COMPLETED_TIMEOUT), writeService(b, '/vguard-test/write/1.0.0')]
    for (const s of served) await s.start()
    try {
      const read = readService(a, '/vguard-test/read/1.0.0', COMPLETED_TIMEOUT)
      const release = releaseService(a, '/vguard-test/release/1.0.0', COMPLETED_TIMEOUT)
      const write = writeService(a, '/vguard-test/write/1.0.0')
      const left = await timersLeftBy(async () => {
        for (let i = 0; i < 5; i++) {
          // a chain b does not hold: whatever it answers, the exchange is complete
          expect(Object.values(ReadResponse.Status)).toContain((await read.ask(b.libp2p.peerId, tipRequest)).status)
          // an unsigned table is refused: still a whole exchange
          await expect(release.release(b.libp2p.peerId, new Uint8Array([1, 2, 3]))).rejects.toThrow(ReleaseRejectedError)
          // an empty payload is refused as INVALID: answered all the same
          expect(Object.values(WriteResponse.Status)).toContain((await write.forward(b.libp2p.peerId, 'chain', new Uint8Array(0), { timeout: 5_000 })).status)
        }
      })
      expect(left).toEqual([])
    } finally {
      for (const s of served) await s.stop()
    }
  })

  it('a peer that never answers costs the asker a TimeoutError; the caller\'s own signal ends the wait at once', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    await silentPeer(b)
    const read = readService(a, SILENT)
    const release = releaseService(a, SILENT)
    const write = writeService(a, SILENT)
    await expect(read.ask(b.libp2p.peerId, tipRequest)).rejects.toMatchObject({ name: 'TimeoutError' })
    await expect(release.release(b.libp2p.peerId, new Uint8Array([1]))).rejects.toMatchObject({ name: 'TimeoutError' })
    // the write waits for its own timeout plus the time an answer needs to travel back
    await expect(write.forward(b.libp2p.peerId, 'chain', new Uint8Array(0), { timeout: 1 })).rejects.toMatchObject({ name: 'TimeoutError' })

    // a read that would wait a minute, cut by its caller after 100 ms (the test would time out first)
    const patient = readService(a, SILENT, 120_000)
    await expect(patient.ask(b.libp2p.peerId, tipRequest, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  it('a server cuts off a peer that opens a stream and says nothing', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const served = [readService(b, '/vguard-test/read/1.0.0'), releaseService(b, '/vguard-test/release/1.0.0')]
    for (const s of served) await s.start()
    try {
      for (const protocol of ['/vguard-test/read/1.0.0', '/vguard-test/release/1.0.0']) {
        const stream = await a.libp2p.dialProtocol(b.libp2p.peerId, protocol)
        await waitFor(() => stream.status !== 'open' || stream.readStatus !== 'readable', { message: `${protocol}: the server to give up on a silent asker` })
        stream.abort(new Error('done'))
      }
    } finally {
      for (const s of served) await s.stop()
    }
  })
})
