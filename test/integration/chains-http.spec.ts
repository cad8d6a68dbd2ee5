/** GET /status chains, GET /chains/:id/blocks and GET /chains/:id/kv/:key on a real node and HTTP server. */
import { describe, it, expect, afterEach } from 'vitest'
import { emptyTip } from '../../src/chain/index.ts'
import { startHttpApi } from '../../src/http/server.ts'
import type { HttpApi } from '../../src/http/server.ts'
import { TestCluster } from '../utils/nodes.ts'
import { buildChain, enc } from '../unit/storage/helpers.ts'

const CHAIN = 'vehicle-9'

describe('http - chain reads', () => {
  const cluster = new TestCluster()
  let api: HttpApi | undefined
  afterEach(async () => {
    await api?.close()
    api = undefined
    await cluster.teardown()
  })

  it('lists chains in /status and reads blocks and keys from the local store', async () => {
    const node = await cluster.create()
    await node.start()
    const blocks = buildChain(emptyTip(CHAIN), 150, h => ({
      transactions: h === 3
        ? [{ key: 'bin', value: Uint8Array.of(0xff, 0x00, 0xfe) }, { op: 'DELETE', key: 'gps/1' }]
        : [{ key: `gps/${h}`, value: enc.encode(`fix ${h}`) }, { key: 'gps/latest', value: enc.encode(String(h)) }]
    }))
    await node.chains.appendMany(blocks)
    api = await startHttpApi(node, { port: 0 })
    const get = async (path: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${api?.url ?? ''}${path}`)
      return { status: res.status, body: await res.json() }
    }

    const status = await get('/status')
    const info = await node.chains.info(CHAIN)
    expect(status.body.chains).toEqual([expect.objectContaining({
      id: CHAIN, height: 150, tipHash: Buffer.from(blocks[149].hash).toString('hex'), bytes: info?.bytes
    })])

    const page = await get(`/chains/${CHAIN}/blocks?from=2&to=4`)
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({ chainId: CHAIN, height: 150, from: 2, to: 4, next: null })
    expect(page.body.blocks.map((b: { height: number }) => b.height)).toEqual([2, 3, 4])
    expect(page.body.blocks[0]).toMatchObject({
      hash: Buffer.from(blocks[1].hash).toString('hex'),
      prevHash: Buffer.from(blocks[0].hash).toString('hex'),
      txCount: 2,
      pruned: false,
      transactions: [{ op: 'PUT', key: 'gps/2', value: 'fix 2', encoding: 'utf8' }, { op: 'PUT', key: 'gps/latest', value: '2', encoding: 'utf8' }]
    })
    expect(page.body.blocks[1].transactions).toEqual([
      { op: 'PUT', key: 'bin', value: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), encoding: 'base64' },
      { op: 'DELETE', key: 'gps/1' }
    ])
    // a default range is paged
    const first = await get(`/chains/${CHAIN}/blocks?transactions=false`)
    expect(first.body.blocks).toHaveLength(100)
    expect(first.body.next).toBe(101)
    expect(first.body.blocks[0].transactions).toBeUndefined()

    expect((await get(`/chains/${CHAIN}/kv/gps%2Flatest`)).body).toEqual({ key: 'gps/latest', value: '150', encoding: 'utf8', height: 150 })
    expect((await get(`/chains/${CHAIN}/kv/bin`)).body).toEqual({ key: 'bin', value: '/wD+', encoding: 'base64', height: 3 })

    const deleted = await get(`/chains/${CHAIN}/kv/gps%2F1`)
    expect(deleted.status).toBe(404)
    expect(deleted.body.error).toBe('KeyNotFoundError')
    expect((await get('/chains/nope/kv/x')).status).toBe(404)
    expect((await get('/chains/nope/blocks')).body.error).toBe('ChainNotFoundError')
    for (const q of ['from=0', 'from=abc', 'from=5&to=4', 'to=-1']) {
      const bad = await get(`/chains/${CHAIN}/blocks?${q}`)
      expect(bad.status, q).toBe(400)
      expect(bad.body.error).toBe('InvalidRequestError')
    }

    await node.chains.prune(CHAIN, [150])
    const pruned = await get(`/chains/${CHAIN}/kv/gps%2Flatest`)
    expect(pruned.status).toBe(410)
    expect(pruned.body.error).toBe('PayloadPrunedError')
    expect((await get(`/chains/${CHAIN}/blocks?from=150`)).body.blocks[0]).toMatchObject({ height: 150, pruned: true })
  })
})
