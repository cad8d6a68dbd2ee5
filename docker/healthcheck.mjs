// The image's HEALTHCHECK: GET /health of the API that VGUARD_HTTP names, in any form start takes
// (0.0.0.0 and [::] mean every interface: asked on loopback). Exit 0 when it
// answers 200, 1 otherwise (unreachable, 503 while stopping, no answer in 4 s).
// node:http, not fetch: fetch refuses the ports the Fetch standard calls bad
// (6000, 6665-6669, 10080, …), and reported a node on one of them unhealthy for good.
import { get } from 'node:http'

const bind = (process.env.VGUARD_HTTP ?? '127.0.0.1:7400').trim()
// also as the URL start prints and takes (http://HOST:PORT, a trailing / at most): the check called a node
// started so unhealthy for good (a probe, 2026-12-03); another scheme or a path, which start refuses, is none
const hostPort = /^http:\/\/([^/?#]*)\/?$/i.exec(bind)?.[1] ?? bind
const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(hostPort) ?? /^()()(\d+)$/.exec(hostPort)
if (match == null) process.exit(1)
const host = match[1] ?? match[2] ?? ''
const name = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
get({ host: name, port: Number(match[3]), path: '/health', timeout: 4_000 }, (res) => {
  res.resume()
  process.exit(res.statusCode === 200 ? 0 : 1)
})
  .on('timeout', () => { process.exit(1) })
  .on('error', () => { process.exit(1) })
