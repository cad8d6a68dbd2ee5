/**
 * Text a peer chose, as this node shows it: a member's answers (a forwarded
 * write's, a read's, a sync's) whose `message` is full of ANSI escapes,
 * CR/LF that would forge a log line, C1 controls, line separators and bidi
 * overrides, and up to a megabyte long; and the agent string of a peer
 * refused at identify. (A backup's answers to replicate and release too.) The errors the node raises, the HTTP API's JSON and
 * the logs carry it escaped (docs/protocols.md, "Text a peer chose") and
 * bounded. Real nodes over TCP on loopback; the member's protocol handlers
 * are replaced by hand-written ones.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { lpStream, pbStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm, createBaseOptions } from '../utils/nodes.ts'
import { capturingLogger } from '../utils/log-capture.ts'
import { waitFor } from '../utils/wait.ts'
import { runCli } from '../utils/cli.ts'
import { API_HEADER } from '../../src/http/api-header.ts'
import { createVGuardNode } from '../../src/node/index.ts'
import type { PeerRejectedDetail } from '../../src/node/index.ts'
import { buildLibp2p } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { resolveConfig } from '../../src/node/config.ts'
import { WRITE_PROTOCOL } from '../../src/protocols/write/index.ts'
import { WriteRequest, WriteResponse } from '../../src/protocols/write/pb/write.ts'
import { READ_PROTOCOL } from '../../src/protocols/read/index.ts'
import { ReadRequest, ReadResponse } from '../../src/protocols/read/pb/read.ts'
import { SyncRequest, SyncResponse } from '../../src/protocols/sync/pb/sync.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'
import { RELEASE_PROTOCOL } from '../../src/protocols/release/index.ts'
import { ReleaseRequest, ReleaseResponse } from '../../src/protocols/release/pb/release.ts'
import { response as syncResponse } from '../../src/protocols/sync/messages.ts'

/** What no text shown by this node may hold raw: C0, DEL, C1, U+2028/9, the bidi controls. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

/** A hostile peer's words: colours, a forged log line, an 8-bit CSI, a separator, an override that reverses what follows. */
const HOSTILE = '\u001b[31mred\u001b[0m\r\n2026-12-03T07:00:00.000Z vguard:write all is well\u0085\u009b2J\u2028\u202eexe.gnp\u202c\u2066x\u2069'
/** The same as this node shows it. */
const SHOWN = '\\u001b[31mred\\u001b[0m\\u000d\\u000a2026-12-03T07:00:00.000Z vguard:write all is well\\u0085\\u009b2J\\u2028\\u202eexe.gnp\\u202c\\u2066x\\u2069'

const MB = 1024 * 1024

/** `text` holds the peer's words escaped, ends with the cut marker, and is at most `max` characters long. */
function expectShown (text: string, max: number): void {
  expect(text).not.toMatch(RAW_CONTROL)
  expect(text).toContain(SHOWN)
  expect(text).toMatch(/… \[\d+ more characters cut\]/)
  expect(text.length).toBeLessThanOrEqual(max)
}

describe('text a peer chose - shown escaped and bounded', () => {
  const cluster = new TestCluster()
  const extra: VGuardLibp2p[] = []
  afterEach(async () => {
    await Promise.all(extra.splice(0).map(async l => { await l.stop() }))
    await cluster.teardown()
  })

  it('a proposer\'s answer to a forwarded write: its message and its error name, in the error and the API\'s JSON', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const chainId = m.peerId.toString()
    const url = `${api.url}/chains/${chainId}/kv/k`
    const answer = async (res: Partial<WriteResponse>): Promise<void> => {
      await m.libp2p.unhandle(WRITE_PROTOCOL)
      await m.libp2p.handle(WRITE_PROTOCOL, async (stream) => {
        const pbs = pbStream(stream)
        await pbs.read(WriteRequest)
        await pbs.write({ status: WriteResponse.Status.OK, height: 1, hash: new Uint8Array(32), leader: '', message: '', replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: '', mayHaveCommitted: false, ...res }, WriteResponse)
        await stream.close()
      })
    }
    // an answer is 8 KiB at most: 6,000 characters of words
    await answer({ status: WriteResponse.Status.ERROR, error: 'ConsensusStoppedError', mayHaveCommitted: true, message: HOSTILE + 'x'.repeat(6_000) })
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    let body = await res.json() as { error: string, message: string }
    expect(body.error).toBe('ProposerUnreachableError')
    expect(body.message).toMatch(/stopped its consensus: \\u001b\[31mred/)
    expectShown(body.message, 2048 + 300)
    await expect(a.put('k', new Uint8Array([1]), { chainId })).rejects.toSatisfy((err: Error) => {
      expectShown(err.message, 2048 + 300)
      return err.name === 'ProposerUnreachableError'
    })

    // an error name is a short word: one full of escapes is shown as one, and cut at 64
    await answer({ status: WriteResponse.Status.ERROR, error: `Odd\u001b]0;owned\u0007Error${'E'.repeat(200)}`, mayHaveCommitted: false, message: 'fine' })
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    body = await res.json() as { error: string, message: string }
    expect(body).toMatchObject({ error: 'CommitTimeoutError', message: expect.stringContaining('failed the write (Odd\\u001b]0;owned\\u0007Error') })
    expect(body.message).not.toMatch(RAW_CONTROL)
    expect(body.message).toMatch(/E… \[\d+ more characters cut\]\): fine/)
  })

  it('a leader\'s answer to a read, a megabyte long: escaped and cut in the error and the API\'s JSON', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const chainId = m.peerId.toString()
    await m.libp2p.unhandle(READ_PROTOCOL)
    await m.libp2p.handle(READ_PROTOCOL, async (stream) => {
      const pbs = pbStream(stream, { maxDataLength: 8 * MB })
      await pbs.read(ReadRequest)
      await pbs.write({ status: ReadResponse.Status.ERROR, role: ReadResponse.Role.PROPOSER, height: 0, epoch: 0, value: new Uint8Array(), valueHeight: 0, blocks: [], table: new Uint8Array(), tipHash: new Uint8Array(), message: HOSTILE + 'x'.repeat(MB), leader: '', entries: [], more: false }, ReadResponse)
      await stream.close()
    })
    const res = await fetch(`${api.url}/chains/${chainId}/kv/k?consistency=leader`)
    const text = await res.text()
    expect(res.status).toBeGreaterThanOrEqual(500)
    // the whole body, not a megabyte of the peer's
    expect(text.length).toBeLessThan(8 * 1024)
    const body = JSON.parse(text) as { message: string }
    expectShown(body.message, 2048 + 300)
    await expect(a.get(chainId, 'k', { consistency: 'leader' })).rejects.toSatisfy((err: Error) => {
      expectShown(err.message, 2048 + 300)
      return true
    })
  })

  it('a sync responder\'s error and its refusal: escaped and cut in the errors', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    let refuse = false
    await m.sync.stop()
    await m.libp2p.handle(m.sync.protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 8 * MB })
      SyncRequest.decode(await lp.read())
      await lp.write(syncResponse({ status: SyncResponse.Status.ERROR, refused: refuse, message: HOSTILE + 'x'.repeat(MB), done: true }))
      await stream.close()
    }, { maxOutboundStreams: 8 })
    await expect(a.sync.tip(m.peerId, 'some-chain')).rejects.toSatisfy((err: Error) => {
      expect(err.name).toBe('ProtocolError')
      expectShown(err.message, 512 + 200)
      return true
    })
    refuse = true
    await expect(a.sync.tip(m.peerId, 'some-chain')).rejects.toSatisfy((err: Error & { reason?: string }) => {
      expect(err.name).toBe('SyncRefusedError')
      expectShown(err.message, 512 + 200)
      expectShown(err.reason ?? '', 512 + 40)
      return true
    })
  })

  it('a backup\'s answers to an offer of blocks and to a release: escaped and cut in the errors', async () => {
    const [a, m] = await connectedSwarm(cluster, 2, { kBackups: 0 })
    const self = a.peerId.toString()
    await a.put('k', new Uint8Array([1]))
    await m.libp2p.unhandle(REPLICATE_PROTOCOL)
    await m.libp2p.handle(REPLICATE_PROTOCOL, async (stream) => {
      const pbs = pbStream(stream, { maxDataLength: 8 * MB })
      await pbs.read(ReplicateRequest)
      await pbs.write({ status: ReplicateResponse.Status.NO_CAPACITY, height: 0, tipHash: new Uint8Array(), free: 0, message: HOSTILE + 'x'.repeat(MB) }, ReplicateResponse)
      await stream.close()
    })
    await expect(a.vguarddb.replicate.replicateTo(m.peerId, self)).rejects.toSatisfy((err: Error) => {
      expect(err.name).toBe('NoCapacityError')
      expectShown(err.message, 2048 + 200)
      return true
    })
    // an answer to a release is 32 KiB at most
    await m.libp2p.unhandle(RELEASE_PROTOCOL)
    await m.libp2p.handle(RELEASE_PROTOCOL, async (stream) => {
      const pbs = pbStream(stream, { maxDataLength: 64 * 1024 })
      await pbs.read(ReleaseRequest)
      await pbs.write({ status: ReleaseResponse.Status.INVALID, epoch: 0, deleted: false, message: HOSTILE + 'x'.repeat(20_000) }, ReleaseResponse)
      await stream.close()
    })
    await expect(a.vguarddb.release.release(m.peerId, new Uint8Array([1, 2, 3]))).rejects.toSatisfy((err: Error) => {
      expect(err.name).toBe('ReleaseRejectedError')
      expectShown(err.message, 2048 + 200)
      return true
    })
  })

  it('the agent string of a peer refused at identify: escaped and cut at 256, in the event and the log', async () => {
    const { logger, messages } = capturingLogger('vguard:peering')
    const a = await createVGuardNode(createBaseOptions({ dataDir: await cluster.tempDir(), network: 'fleet' }), { logger })
    cluster.nodes.push(a)
    const rejected: PeerRejectedDetail[] = []
    a.addEventListener('peer:rejected', (e) => { rejected.push(e.detail) })
    await a.start()
    // identify's agent string comes from the network's name: one no vehicle could be given
    const hostile = async (network: string): Promise<VGuardLibp2p> => {
      const config = { ...resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: 'other' }), network }
      const libp2p = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
      extra.push(libp2p)
      await libp2p.start()
      return libp2p
    }
    // no whitespace in it (CR, LF, NEL, U+2028 are): read as a network's name; with: no vguard-node's agent at all
    const named = await hostile(`${HOSTILE.replace(/\s/g, '')}${'y'.repeat(3_000)}`)
    const forged = await hostile(`${HOSTILE}${'z'.repeat(3_000)}`)
    for (const x of [named, forged]) await x.dial(a.libp2p.getMultiaddrs()[0])
    await waitFor(() => rejected.length === 2, { message: 'a refuses both', state: () => rejected })
    const reasons = [named, forged].map(x => rejected.find(r => r.peerId === x.peerId.toString())?.reason ?? '')
    expect(reasons[0]).toMatch(/^network \\u001b\[31mred.*… \[\d+ more characters cut\] is not fleet$/)
    expect(reasons[1]).toMatch(/^not a vguard-node \(vguard-node\/\S+ network=\\u001b\[31mred\\u001b\[0m\\u000d\\u000a2026.*… \[\d+ more characters cut\]\)$/)
    for (const reason of reasons) {
      expect(reason).not.toMatch(RAW_CONTROL)
      expect(reason.length).toBeLessThanOrEqual(256 + 60)
    }
    const logged = messages.filter(l => l.format.startsWith('refusing %p')).map(l => String(l.args[1]))
    expect(logged).toHaveLength(2)
    for (const line of logged) expect(line).not.toMatch(RAW_CONTROL)
  })
  it('the CLI writes what a node\'s API answered escaped, line by line, whoever wrote it', async () => {
    // an API of a node of an earlier version, or anything at that address that answers as one: it passes a peer's text on raw
    const server = createServer((req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', [API_HEADER]: '1' })
      res.end(JSON.stringify({ error: 'NoHolderReachableError', message: `no holder answered: ${HOSTILE}`, tried: [{ peerId: `peer${HOSTILE}`, outcome: 'unavailable' }] }))
    })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    try {
      const { port } = server.address() as AddressInfo
      const shown = await runCli(['get', '--http', `127.0.0.1:${port}`, '--chain', 'some-chain', 'k'])
      expect(shown.code).toBe(1)
      const lines = shown.stderr.split('\n')
      expect(lines.filter(l => RAW_CONTROL.test(l))).toEqual([])
      expect(lines).toEqual(expect.arrayContaining([
        `error: no holder answered: ${SHOWN} (NoHolderReachableError, HTTP 503)`,
        `tried: peer${SHOWN} unavailable`
      ]))
    } finally {
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  })
})
