import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, vehiclePair } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { BoothMemory } from '../../src/node/booth-memory.ts'
import { idempotentRef } from '../../src/node/idempotency.ts'
import { encodeWrite } from '../../src/node/batch.ts'
import type { VGuardNode } from '../../src/node/index.ts'

describe('http - vguarddb routes', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  const pair = async (dataDir?: string): Promise<{ a: VGuardNode, b: VGuardNode }> => await vehiclePair(cluster, dataDir)

  it('POST /booth/end commits, replicates and answers; bad bodies change nothing; GET read follows holders', async () => {
    const a = await cluster.create({ kBackups: 1 })
    await a.start()
    const b = await cluster.create({ kBackups: 1, bootstrap: [a.multiaddrs[0].toString()] })
    await b.start()
    await waitFor(() => fullyConnected([a, b]))
    const api = await cluster.http(a)
    const apiB = await cluster.http(b)
    const post = async (body: unknown, raw = false): Promise<Response> => await fetch(`${api.url}/booth/end`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? body as string : JSON.stringify(body)
    })

    const bad = [
      '{not json',
      { transactions: [{ key: 'k', value: 'v' }] },
      { participants: [], transactions: [{ key: 'k', value: 'v' }] },
      { participants: ['not-a-peer-id'], transactions: [{ key: 'k', value: 'v' }] },
      { participants: [b.peerId.toString()], transactions: [] },
      { participants: [b.peerId.toString()], transactions: [{ key: 'k', value: 'v', delete: true }] },
      { participants: [b.peerId.toString()], transactions: [{ key: 'k' }] },
      // a delete has no value, so no encoding of one (it was taken)
      { participants: [b.peerId.toString()], transactions: [{ key: 'k', delete: true, encoding: 'base64' }] },
      // this vehicle alone: no one to back its chain up (it was appended with no backup)
      { participants: [a.peerId.toString()], transactions: [{ key: 'k', value: 'v' }] },
      { participants: [b.peerId.toString()], transactions: [{ key: 'k', value: 'v', extra: 1 }] },
      // a lone surrogate has no UTF-8 (it was stored as U+FFFD)
      { participants: [b.peerId.toString()], transactions: [{ key: 'k', value: '\ud800' }] },
      // base64 is strict: Buffer.from would store other bytes than these mean
      ...['!!!not base64', 'AAA', 'AA==\n', 'AB==', '-_8=', 'AAAA AAAA'].map(value => ({ participants: [b.peerId.toString()], transactions: [{ key: 'a', value, encoding: 'base64' }] }))
    ]
    for (const body of bad) {
      const res = await post(body, typeof body === 'string')
      expect(res.status, JSON.stringify(body)).toBe(400)
      // named like every error of ours, whether a route or the framework refused it
      expect((await res.json() as { error: string }).error, JSON.stringify(body)).toMatch(/^Invalid[A-Za-z]*Error$/)
    }
    const plain = await fetch(`${api.url}/booth/end`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<participants/>' })
    expect(plain.status).toBe(415)
    expect(await plain.json()).toMatchObject({ error: 'UnsupportedMediaTypeError' })
    // JSON sent as text is of the wrong type, not of the wrong shape (it was a 400)
    const text = await fetch(`${api.url}/booth/end`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: 'v' }] }) })
    expect(text.status).toBe(415)
    expect(await text.json()).toMatchObject({ error: 'UnsupportedMediaTypeError' })
    // each says what is wrong: a typo, or a well-formed body with a prototype-poisoning key
    for (const [body, message] of [
      ['{"participants": [', /^the body is not valid JSON: /],
      [`{"__proto__": {"x": 1}, "participants": ["${b.peerId.toString()}"], "transactions": [{"key": "k", "value": "v"}]}`, /holds a "__proto__" or "constructor" key/],
      [`{"constructor": {"prototype": {}}, "participants": ["${b.peerId.toString()}"], "transactions": [{"key": "k", "value": "v"}]}`, /prototype poisoning/],
      // a field given twice: JSON.parse kept the last, and the block held "v2" where the client may have meant "v"
      // (a query parameter given twice is refused too; a probe, 2026-12-03)
      [`{"participants": ["${b.peerId.toString()}"], "transactions": [{"key": "k", "value": "v", "value": "v2"}]}`, /names "value" twice in one object/],
      // the same name however it is escaped
      [`{"participants": ["${b.peerId.toString()}"], "p\\u0061rticipants": ["${b.peerId.toString()}"], "transactions": [{"key": "k", "value": "v"}]}`, /names "participants" twice/]
    ] as const) {
      const res = await post(body, true)
      expect(res.status, body).toBe(400)
      expect(await res.json(), body).toMatchObject({ error: 'InvalidRequestError', message: expect.stringMatching(message) })
    }
    const empty = await post('', true)
    expect(empty.status).toBe(400)
    expect(await empty.json()).toMatchObject({ error: 'InvalidRequestError' })
    expect((await a.chains.tip(a.peerId.toString())).height).toBe(0)

    const ok = await post({ participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value: '-27.7,-51.1' }, { key: 'bin', value: Buffer.from([0xff, 0x00]).toString('base64'), encoding: 'base64' }] })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ chainId: a.peerId.toString(), height: 1, epoch: 1, active: [b.peerId.toString()], complete: true })

    const status = await (await fetch(`${apiB.url}/status`)).json() as { chains: Array<{ id: string, role: string, heldAsBackup: boolean, heldHeight: number }>, storage: { heldForOthers: number } }
    expect(status.chains.find(c => c.id === a.peerId.toString())).toMatchObject({ role: 'backup', heldAsBackup: true, heldHeight: 1 })
    expect(status.storage.heldForOthers).toBeGreaterThan(0)
    // an active backup once the table naming it arrives (gossiped after the round: unclaimed until then)
    await waitFor(async () => ((await (await fetch(`${apiB.url}/status`)).json()) as { chains: Array<{ id: string, heldAs: string }> }).chains.find(c => c.id === a.peerId.toString())?.heldAs === 'active', { message: 'b shows its copy of a\'s chain as an active backup\'s' })

    const read = await (await fetch(`${apiB.url}/chains/${a.peerId.toString()}/read/gps%2F1`)).json()
    expect(read).toMatchObject({ key: 'gps/1', value: '-27.7,-51.1', encoding: 'utf8', height: 1, servedBy: a.peerId.toString(), path: [{ peerId: a.peerId.toString(), outcome: 'served' }] })
    const binary = await (await fetch(`${apiB.url}/chains/${a.peerId.toString()}/read/bin`)).json()
    expect(binary).toMatchObject({ value: '/wA=', encoding: 'base64' })
    // a bad chain id or an empty key is the request's fault: 400 before any holder is asked
    for (const [path, error] of [['/chains/notapeer/read/a', 'InvalidRequestError'], [`/chains/${a.peerId.toString()}/read/`, 'InvalidTransactionError']]) {
      const res = await fetch(`${apiB.url}${path}`)
      expect(res.status, path).toBe(400)
      expect(await res.json(), path).toMatchObject({ error })
    }
    // query parameters: named when unknown, as the other routes do
    const A = a.peerId.toString()
    for (const [query, message] of [['?foo=1', /^unknown query parameter "foo": this route takes via$/], ['?via=x&via=y', /^via: give it once/], ['?via=', /^via: name one peer id or more/], ['?via=,%20,', /^via: name one peer id or more/], [`?via=${'x'.repeat(1025)}`, /^via: at most 1024 characters/]] as const) {
      const res = await fetch(`${apiB.url}/chains/${A}/read/gps%2F1${query}`)
      expect(res.status, query).toBe(400)
      expect(await res.json(), query).toMatchObject({ error: 'InvalidRequestError', message: expect.stringMatching(message) })
    }
    const missing = await fetch(`${apiB.url}/chains/${a.peerId.toString()}/read/nope`)
    expect(missing.status).toBe(404)
    // the proposer is up to date: its "no such key" is authoritative, not stale
    expect(await missing.json()).toMatchObject({ error: 'KeyNotFoundError', servedBy: a.peerId.toString(), stale: false, path: [{ peerId: a.peerId.toString(), outcome: 'not-found' }] })
    const unknown = await fetch(`${apiB.url}/chains/12D3KooWRBhwfeP2Y4TCx1SM6s3rUWmrZSaoKD8r3pwUHyREoJRV/read/x`)
    expect(unknown.status).toBe(503)
    expect(await unknown.json()).toMatchObject({ error: 'NoHolderReachableError' })

    // a page of a's keys, read the same way: the proposer serves it
    const keys = async (query: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${apiB.url}/chains/${A}/read${query}`)
      return { status: res.status, body: await res.json() }
    }
    expect((await keys('?prefix=gps%2F')).body).toEqual({
      chainId: A, prefix: 'gps/', entries: [{ key: 'gps/1', value: '-27.7,-51.1', encoding: 'utf8', height: 1 }], next: null, chainHeight: 1, epoch: 1, servedBy: A, stale: false, path: [{ peerId: A, outcome: 'served', epoch: 1, height: 1 }]
    })
    const first = await keys('?values=false&limit=1')
    expect(first.body).toMatchObject({ entries: [{ key: 'bin', height: 1 }], next: 'bin' })
    expect(first.body.entries[0]).not.toHaveProperty('value')
    expect((await keys('?after=bin')).body).toMatchObject({ entries: [{ key: 'gps/1' }], next: null })
    for (const [query, message] of [['?limit=0', /^limit: keys per page, 1 to 1000/], ['?prefix=%ED%A0%80', /^prefix: its percent-encoded bytes are not UTF-8$/], ['?after=a%2', /^after: a % that is no escape \(%25 is a % itself\)$/], ['?foo=1', /this route takes prefix, after, limit, values, via$/], ['?via=x', /^via: not a peer id/]] as const) {
      const res = await keys(query)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ error: 'InvalidRequestError', message: expect.stringMatching(message) })
    }
    expect((await fetch(`${apiB.url}/chains/12D3KooWRBhwfeP2Y4TCx1SM6s3rUWmrZSaoKD8r3pwUHyREoJRV/read?prefix=x`)).status).toBe(503)
  })

  it('a round short of k says how many backups took the chain now and how many older copies stay active', async () => {
    const a = await cluster.create({ kBackups: 2 })
    await a.start()
    const [b, c] = [await cluster.create({ kBackups: 2, bootstrap: [a.multiaddrs[0].toString()] }), await cluster.create({ kBackups: 2, bootstrap: [a.multiaddrs[0].toString()] })]
    await Promise.all([b.start(), c.start()])
    await waitFor(() => fullyConnected([a, b, c]))
    const api = await cluster.http(a)
    const end = async (participants: string[], key: string): Promise<Record<string, unknown>> => await (await fetch(`${api.url}/booth/end`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants, transactions: [{ key, value: 'v' }] })
    })).json() as Record<string, unknown>
    expect(await end([b.peerId.toString(), c.peerId.toString()], 'gps/1')).toMatchObject({ epoch: 1, complete: true })
    // c is gone at the next booth: b takes the chain, c's copy of epoch 1 stays active (better than none)
    await cluster.stopNode(c)
    const short = await end([b.peerId.toString(), c.peerId.toString()], 'gps/2')
    expect(short).toMatchObject({ epoch: 2, complete: false, warning: 'only 1 of 2 backups could take the chain; 1 older copy stays active until a round refreshes it' })
    expect((short.active as string[]).sort()).toEqual([b.peerId.toString(), c.peerId.toString()].sort())
    expect(short.failures).toEqual([expect.objectContaining({ peerId: c.peerId.toString() })])
    // d arrives: the round no write carries makes up for c (epoch 3, b and d)
    const d = await cluster.create({ kBackups: 2, bootstrap: [a.multiaddrs[0].toString()] })
    await d.start()
    await waitFor(() => fullyConnected([a, b, d]))
    await waitFor(() => a.vguarddb.tables.get(a.peerId.toString())?.table.epoch === 3, { message: 'a round after d arrived' })
    // made up for by a backup of the table before (b, no participant now): complete, and still says whom it chose that failed
    const covered = await end([c.peerId.toString(), d.peerId.toString()], 'gps/3')
    expect(covered).toMatchObject({ epoch: 4, complete: true, failures: [expect.objectContaining({ peerId: c.peerId.toString() })] })
    expect((covered.active as string[]).sort()).toEqual([b.peerId.toString(), d.peerId.toString()].sort())
    expect(covered.warning).toBeUndefined()
  })

  it('an Idempotency-Key makes /booth/end safe to retry: one block per key and transactions, also across a restart and once the chain runs consensus', async () => {
    const dir = await cluster.tempDir()
    const { a, b } = await pair(dir)
    const chainId = a.peerId.toString()
    const end = async (node: typeof a, key: string | undefined, value: string): Promise<Response> => await fetch(`${(await cluster.http(node)).url}/booth/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key == null ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify({ participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value }] })
    })

    // appended directly (no consensus on the chain yet): the retry is answered with the first block
    const first = await end(a, 'booth-1', 'fix-1')
    expect(first.status).toBe(200)
    const { height } = await first.json() as { height: number }
    const again = await end(a, 'booth-1', 'fix-1')
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ height, complete: true })
    expect((await a.chains.tip(chainId)).height).toBe(height)
    // other transactions under the key are another booth; a bad key is refused, nothing appended
    const other = await end(a, 'booth-1', 'fix-2')
    expect(await other.json()).toMatchObject({ height: height + 1 })
    const bad = await end(a, 'k'.repeat(129), 'fix-3')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'InvalidIdempotencyKeyError' })
    expect((await a.chains.tip(chainId)).height).toBe(height + 1)

    // after a restart, still answered, not appended again
    await cluster.stopNode(a)
    const a2 = await cluster.create({ kBackups: 1, dataDir: dir, bootstrap: [b.multiaddrs[0].toString()] })
    await a2.start()
    await waitFor(() => fullyConnected([a2, b]))
    expect(await (await end(a2, 'booth-1', 'fix-1')).json()).toMatchObject({ height })
    expect((await a2.chains.tip(chainId)).height).toBe(height + 1)

    // once the chain runs consensus (a put), a direct booth's retry is still answered with its block, and a new
    // keyed booth commits once
    await a2.put('warm', new TextEncoder().encode('up'))
    expect(await (await end(a2, 'booth-1', 'fix-1')).json()).toMatchObject({ height })
    const viaConsensus = await (await end(a2, 'booth-2', 'fix-4')).json() as { height: number }
    expect(await (await end(a2, 'booth-2', 'fix-4')).json()).toMatchObject({ height: viaConsensus.height })
    expect((await a2.chains.tip(chainId)).height).toBe(viaConsensus.height)
  })

  it('a keyed end of booth cut off by a stop never says nothing was written: its block may be there', async () => {
    const { a, b } = await pair()
    const booth = { participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value: new TextEncoder().encode('fix') }], idempotencyKey: 'stop-1' }
    const { height } = await a.endOfBooth(booth)
    // the retry and a stop at once: answered with the block, or failed saying it may be there (the retry is
    // queued behind a second booth, which holds our chain's turn while its round runs)
    const second = a.endOfBooth({ ...booth, idempotencyKey: 'stop-2', transactions: [{ key: 'gps/2', value: new TextEncoder().encode('fix') }] }).catch((err: unknown) => err)
    const retry = a.endOfBooth(booth).then(outcome => outcome.height, (err: unknown) => err)
    await cluster.stopNode(a)
    const outcome = await retry
    if (typeof outcome === 'number') expect(outcome).toBe(height)
    else expect(outcome).toMatchObject({ mayHaveCommitted: true })
    await second
  })

  it('a keyed booth whose record was kept and whose block never reached the chain (a crash between the two) is appended on retry', async () => {
    const dir = await cluster.tempDir()
    const { a, b } = await pair(dir)
    const chainId = a.peerId.toString()
    const participants = [b.peerId.toString()]
    await a.endOfBooth({ participants, transactions: [{ key: 'gps/0', value: new TextEncoder().encode('fix-0') }] })
    const tip = (await a.chains.tip(chainId)).height
    await cluster.stopNode(a)
    // what a crash after the record was synced and before the block was appended leaves behind
    const transactions = [{ key: 'gps/1', value: new TextEncoder().encode('fix-1') }]
    const id = idempotentRef(chainId, 'crashed-1', encodeWrite(transactions.map(t => ({ op: 'PUT' as const, ...t }))).payload, chainId).id
    const db = await openDatabase(dir)
    try {
      await new BoothMemory(db.sublevel('booth-keys')).remember(id, { height: tip + 1, hash: new Uint8Array(32).fill(1) })
    } finally {
      await db.close()
    }
    const again = await cluster.create({ kBackups: 1, dataDir: dir, bootstrap: [b.multiaddrs[0].toString()] })
    await again.start()
    await waitFor(() => fullyConnected([again, b]))
    const outcome = await again.endOfBooth({ participants, transactions, idempotencyKey: 'crashed-1' })
    expect(outcome.height).toBe(tip + 1)
    expect((await again.chains.tip(chainId)).height).toBe(tip + 1)
    expect((await again.get(chainId, 'gps/1')).value).toEqual(transactions[0].value)
    // and now it is the block a retry is answered with
    expect((await again.endOfBooth({ participants, transactions, idempotencyKey: 'crashed-1' })).height).toBe(tip + 1)
    expect((await again.chains.tip(chainId)).height).toBe(tip + 1)
  })
})
