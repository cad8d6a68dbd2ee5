/**
 * Writes over HTTP at their limits and one past them: a key of 1,024 bytes
 * (multi-byte characters, percent-encoded three times as long) and a body of
 * 4 MiB commit, on the node's own chain and forwarded to another vehicle's;
 * one byte more is a typed 400 or 413, and nothing is written. Real nodes
 * over TCP on loopback, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { MAX_BODY_BYTES } from '../../src/http/server.ts'
import { MAX_KEY_BYTES } from '../../src/chain/index.ts'

const utf8 = new TextEncoder()

describe('http - writes at their limits', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a 1,024-byte key and a 4 MiB value commit, own chain and forwarded; one byte more of either is refused, typed, and writes nothing', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 0 })
    const api = await cluster.http(a)
    // 341 three-byte characters and one byte: 1,024 bytes, 3,070 characters in the URL
    const longest = `${'€'.repeat(341)}a`
    expect(utf8.encode(longest).byteLength).toBe(MAX_KEY_BYTES)
    const tooLong = `${longest}b`
    const value = new Uint8Array(MAX_BODY_BYTES).fill(7)
    for (const chain of [a.peerId.toString(), b.peerId.toString()]) {
      const holder = chain === a.peerId.toString() ? a : b
      const url = (key: string): string => `${api.url}/chains/${chain}/kv/${encodeURIComponent(key)}`
      const before = (await holder.chains.tip(chain)).height
      let res = await fetch(url(tooLong), { method: 'PUT', body: 'v' })
      expect(res.status, chain).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'InvalidTransactionError', message: `key: longer than ${MAX_KEY_BYTES} bytes` })
      res = await fetch(url(tooLong), { method: 'DELETE' })
      expect(res.status, chain).toBe(400)
      res = await fetch(url(longest), { method: 'PUT', body: new Uint8Array(MAX_BODY_BYTES + 1) })
      expect(res.status, chain).toBe(413)
      expect((await res.json() as { error: string }).error).toBe('PayloadTooLargeError')
      // an Idempotency-Key one character past its limit, or not printable ASCII
      for (const key of ['k'.repeat(129), 'ké']) {
        res = await fetch(url(longest), { method: 'PUT', body: 'v', headers: { 'idempotency-key': key } })
        expect(res.status, `${chain} ${key}`).toBe(400)
        expect((await res.json() as { error: string }).error).toBe('InvalidIdempotencyKeyError')
      }
      expect((await holder.chains.tip(chain)).height, chain).toBe(before)

      res = await fetch(url(longest), { method: 'PUT', body: value, headers: { 'idempotency-key': 'k'.repeat(128) } })
      expect(res.status, chain).toBe(200)
      const committed = await res.json() as { height: number }
      expect(committed.height).toBe(before + 1)
      const stored = await holder.chains.get(chain, longest)
      expect(stored?.value.byteLength).toBe(MAX_BODY_BYTES)
      expect(stored?.value.every(byte => byte === 7)).toBe(true)
      res = await fetch(url(longest), { method: 'DELETE' })
      expect(res.status, chain).toBe(200)
      expect(await holder.chains.get(chain, longest)).toBeUndefined()
    }
  })
})
