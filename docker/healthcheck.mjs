// The image's HEALTHCHECK: GET /health of the API that VGUARD_HTTP names
// (0.0.0.0 and [::] mean every interface: asked on loopback). Exit 0 when it
// answers 200, 1 otherwise (unreachable, 503 while stopping, no answer in 4 s).
const bind = process.env.VGUARD_HTTP ?? '127.0.0.1:7400'
const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(bind.trim()) ?? /^()()(\d+)$/.exec(bind.trim())
if (match == null) process.exit(1)
const host = match[1] ?? match[2] ?? ''
const name = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
fetch(`http://${name}:${match[3]}/health`, { signal: AbortSignal.timeout(4_000) })
  .then(res => { process.exit(res.ok ? 0 : 1) }, () => { process.exit(1) })
