/**
 * The HTTP API under randomized requests, against a real node of a real
 * two-node swarm: methods, paths, path parameters (chain ids, keys, heights),
 * query strings, headers and bodies drawn from valid and broken values and
 * mutated. Every answer must be a known status, never a 500 (an error the
 * API did not map is a bug), and every error a JSON `{ error, message }`;
 * the node serves as before afterwards and its chains still verify.
 *
 * The seed is printed with every failure; FUZZ_SEED=<n> replays that run.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { prng } from '../utils/random.ts'
import { checkedChains } from '../utils/chains.ts'
import { mutateBytes, pick, randomBytes } from '../utils/mutate.ts'
import type { Random } from '../utils/mutate.ts'

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Requests in all (FUZZ_ROUNDS=<n> for a longer hunt). */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 400)
const PARALLEL = 6
/** Far above every route's own deadline (a write's commit timeout, a read's lookups). */
const REQUEST_DEADLINE = 30_000

const METHODS = ['GET', 'GET', 'GET', 'PUT', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS']
const KEYS = ['k', 'gps%2F1', '', '%ff', '..%2F..', '%00', 'a%20b', 'x'.repeat(1100), 'ü', '%E2%82%AC', 'k?x=1', 'k#frag']
const HEIGHTS = ['1', '2', '0', '-1', '1.5', '1e3', '9007199254740993', 'abc', '', '%20']
const CONSISTENCY = ['local', 'leader', 'quorum', 'bogus', '', 'LOCAL']
const CONTENT_TYPES = [undefined, 'application/json', 'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '\u0000']

function segment (random: Random, values: string[]): string {
  const v = pick(random, values)
  return random() < 0.15 ? encodeURIComponent(String.fromCharCode(...mutateBytes(Buffer.from(v), random))) : v
}

/** One request: a route's shape with parameters, query and body drawn at random. */
function request (random: Random, chains: string[]): { method: string, path: string, headers: Record<string, string>, body?: Uint8Array } {
  const chain = segment(random, chains)
  const query = (name: string, values: string[]): string => random() < 0.6 ? `${name}=${segment(random, values)}` : ''
  // [path, the methods the route takes]: mostly one of those, now and then any
  const [path, methods] = pick(random, [
    () => ['/status', ['GET']],
    () => ['/health', ['GET']],
    () => ['/metrics', ['GET']],
    () => ['/dashboard', ['GET']],
    () => [`/chains/${chain}/kv/${segment(random, KEYS)}?${query('consistency', CONSISTENCY)}`, ['GET', 'PUT', 'DELETE']],
    () => [`/chains/${chain}/read/${segment(random, KEYS)}?${query('via', chains)}`, ['GET']],
    () => [`/chains/${chain}/blocks?${query('from', HEIGHTS)}&${query('to', HEIGHTS)}`, ['GET']],
    () => [`/chains/${chain}/blocks/${segment(random, HEIGHTS)}?${query('consistency', CONSISTENCY)}&${query('transactions', ['true', 'false', 'x'])}`, ['GET']],
    () => ['/booth/end', ['POST']],
    () => [`/${segment(random, ['chains', 'kv', '..', '%2e%2e', ''])}/${segment(random, KEYS)}`, METHODS]
  ] satisfies Array<() => [string, string[]]>)()
  const method = random() < 0.8 ? pick(random, methods) : pick(random, METHODS)
  const headers: Record<string, string> = {}
  const type = pick(random, CONTENT_TYPES)
  if (type != null) headers['content-type'] = type
  if (random() < 0.2) headers['idempotency-key'] = pick(random, ['fix-1', '', ' ', 'x'.repeat(200), 'é'])
  let body: Uint8Array | undefined
  if (method === 'PUT' || method === 'POST' || method === 'PATCH' || (method === 'DELETE' && random() < 0.3)) {
    const booth = JSON.stringify({ participants: chains.slice(0, 1 + Math.floor(random() * 2)), transactions: [{ key: 'gps/1', value: '-27.7,-51.1' }] })
    body = pick(random, [
      () => Buffer.from(booth),
      () => mutateBytes(Buffer.from(booth), random),
      () => Buffer.from(JSON.stringify({ participants: [], transactions: [{ key: 'k', value: 'AA=', encoding: 'base64' }] })),
      () => Buffer.from(JSON.stringify({ participants: chains, transactions: [{ key: 'k', delete: true, value: 'v' }] })),
      () => randomBytes(random, Math.floor(random() * 256)),
      () => new Uint8Array(),
      () => Buffer.from('-27.71,-51.09')
    ])()
  }
  return { method, path, headers, ...(body != null ? { body } : {}) }
}

describe(`http - randomized requests (FUZZ_SEED=${SEED})`, () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('every answer has a known status and a JSON error; no 500; the node serves on', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { commitTimeout: 3_000 })
    const api = await cluster.http(A)
    const a = A.peerId.toString()
    const b = B.peerId.toString()
    await A.put('k', new TextEncoder().encode('v'))
    const chains = [a, b, 'shared', `12D3KooW${'1'.repeat(44)}`, 'x', '']

    const random = prng(SEED)
    const problems: string[] = []
    const statuses = new Map<number, number>()
    for (let round = 0; round < ROUNDS; round += PARALLEL) {
      await Promise.all(Array.from({ length: PARALLEL }, () => prng(Math.floor(random() * 2 ** 31))).map(async (r) => {
        const req = request(r, chains)
        const what = `${req.method} ${req.path.slice(0, 120)}`
        let res: Response
        try {
          res = await fetch(`${api.url}${req.path}`, { method: req.method, headers: req.headers, ...(req.body != null ? { body: req.body as Uint8Array<ArrayBuffer> } : {}), signal: AbortSignal.timeout(REQUEST_DEADLINE) })
        } catch (err) {
          // fetch itself refuses some (a body on GET, a header value it cannot send): not the API's doing
          if ((err as Error).name === 'TypeError' && !/fetch failed/.test((err as Error).message)) return
          problems.push(`${what}: ${(err as Error).message} ${String((err as Error & { cause?: unknown }).cause ?? '')}`)
          return
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        const text = await res.text()
        if (res.status >= 500 && ![502, 503, 504].includes(res.status)) problems.push(`${what}: ${res.status} ${text.slice(0, 300)}`)
        if (res.status >= 400 && req.method !== 'HEAD') {
          try {
            const body = JSON.parse(text) as { error?: unknown, message?: unknown }
            if (typeof body.error !== 'string' || typeof body.message !== 'string') problems.push(`${what}: ${res.status} without { error, message }: ${text.slice(0, 200)}`)
          } catch {
            problems.push(`${what}: ${res.status} not JSON: ${text.slice(0, 200)}`)
          }
        }
      }))
    }
    console.log(`fuzz http: ${ROUNDS} requests; statuses ${[...statuses].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s} ×${n}`).join(', ')}`)
    expect(problems, `FUZZ_SEED=${SEED}`).toEqual([])
    // the fuzz got past the routing: some requests were taken, some refused
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0)
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0)

    const health = await fetch(`${api.url}/health`)
    expect(await health.json()).toMatchObject({ ok: true })
    await checkedChains(A)
    expect((await A.put('after-fuzz', new TextEncoder().encode('ok'))).height).toBeGreaterThan(1)
  }, 300_000)
})
