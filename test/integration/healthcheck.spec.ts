/**
 * The docker image's HEALTHCHECK (docker/healthcheck.mjs) against a real
 * node's HTTP API: healthy is exit 0, also on a port the Fetch standard calls
 * bad (an operator may put the API on 6000; fetch refuses to ask it), and a
 * node that does not answer is exit 1. Real processes for the check.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TestCluster } from '../utils/nodes.ts'

const SCRIPT = fileURLToPath(new URL('../../docker/healthcheck.mjs', import.meta.url))
/**
 * Ports on the Fetch standard's list of bad ports that need no privilege, tried in turn: the first free one is
 * taken. With 6000 alone, the test skipped whenever that port was taken (outside the suite's namespace, a probe, 2026-12-03).
 */
const BAD_PORTS = [6000, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080, 6566, 5060, 5061, 4190, 4045, 3659, 2049, 1723, 1720, 1719]

async function check (bind: string): Promise<number> {
  return await new Promise<number>((resolve) => {
    execFile(process.execPath, [SCRIPT], { env: { ...process.env, VGUARD_HTTP: bind }, timeout: 20_000 }, (err) => {
      resolve(err == null ? 0 : typeof err.code === 'number' ? err.code : -1)
    })
  })
}

describe('docker health check', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a node whose API is on a port fetch refuses is healthy; one that is gone is not', async () => {
    const node = await cluster.create()
    await node.start()
    let api
    for (const port of BAD_PORTS) {
      try {
        api = await cluster.http(node, { port })
        break
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE') throw err
      }
    }
    if (api == null) throw new Error(`every port of ${BAD_PORTS.join(', ')} is in use on this host`)
    const port = new URL(api.url).port
    expect(BAD_PORTS.map(String)).toContain(port)
    expect(await check(`0.0.0.0:${port}`)).toBe(0)
    expect(await check(`127.0.0.1:${port}`)).toBe(0)
    await api.close()
    expect(await check(`127.0.0.1:${port}`)).toBe(1)
  })

  it('reads VGUARD_HTTP in every form start takes, the URL start prints too', async () => {
    const node = await cluster.create()
    await node.start()
    const api = await cluster.http(node, { host: '0.0.0.0' })
    const { port } = new URL(api.url)
    // start took `http://0.0.0.0:PORT` and served on it, while the check called the
    // container unhealthy for good (a probe, 2026-12-03)
    for (const bind of [`0.0.0.0:${port}`, `:${port}`, port, `http://0.0.0.0:${port}`, `HTTP://127.0.0.1:${port}/`, ` http://localhost:${port} `]) {
      expect({ bind, exit: await check(bind) }).toEqual({ bind, exit: 0 })
    }
    // a form start refuses names no API: unhealthy, as before
    expect(await check(`https://127.0.0.1:${port}`)).toBe(1)
    expect(await check(`http://127.0.0.1:${port}/status`)).toBe(1)
  })
})
