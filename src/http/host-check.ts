/**
 * DNS rebinding: a web page the user opens can make its own domain resolve to
 * this API's address (127.0.0.1, or a container's port published there) and
 * then call it as if it were the page's own origin — writes included, no
 * CORS in the way. The request then names the page's domain in its Host.
 * So a request must name the API by an address, not a domain:
 * - bound to loopback: by a loopback address or `localhost`;
 * - bound to any other address (all interfaces in a container, a LAN
 *   address): by an IP address or `localhost` (the address it was reached
 *   on, which a rebinding page cannot put in Host).
 * Names an operator gives (`--http-allow-host`: a container's service name)
 * are taken too. The check follows the address the socket bound, not the
 * flag's spelling (`127.1` is loopback too: a review found it unchecked).
 */
import { BlockList, isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { InvalidRequestError, MisdirectedRequestError } from './errors.ts'

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`, which URLs write `[::ffff:7f00:1]`: a probe, 2026-12-03, found it refused 421). */
const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

export function isLoopbackName (hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const bare = name.replace(/^\[(.*)\]$/, '$1')
  const family = isIP(bare)
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

function isAddress (hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0
}

function normalize (name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

function hostHeaders (raw: string[]): number {
  let count = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'host') count++
  return count
}

/** The authority (host and port) of an absolute URL, as written: `http://a:1/x` → `a:1`. */
function authorityOf (target: string): string {
  const rest = target.replace(/^https?:\/\//i, '')
  const end = rest.search(/[/?#]/)
  const authority = end < 0 ? rest : rest.slice(0, end)
  // userinfo is not part of the host (and has no place in a request target)
  return authority.slice(authority.lastIndexOf('@') + 1)
}

/**
 * The onRequest check of an API whose socket is bound to `bound()` (the
 * address Node reports once it listens), taking also the names in
 * `allowedHosts`.
 */
export function hostCheck (bound: () => string | undefined, allowedHosts: readonly string[] = []): (req: FastifyRequest) => Promise<void> {
  const allowed = new Set(allowedHosts.map(normalize))
  return async (req) => {
    const target = req.raw.url ?? ''
    const absolute = /^https?:\/\//i.test(target)
    // '*' (OPTIONS *, or a GET *, which was redirected to the dashboard) and other forms name no path here
    if (!target.startsWith('/') && !absolute) throw new InvalidRequestError(`the request target must be a path (/status) or an absolute URL, got ${JSON.stringify(target.slice(0, 64))}`)
    // RFC 9112 §3.2: exactly one Host; Node keeps the first of several, which could be checked while a proxy routed by another
    if (hostHeaders(req.raw.rawHeaders) > 1) throw new InvalidRequestError('more than one Host header')
    const address = bound()
    if (address == null) return
    // an absolute target's authority names the host, not the Host header (RFC 9112 §3.2.2): it is what gets checked
    const host = absolute ? authorityOf(target) : req.headers.host ?? ''
    let hostname: string
    try {
      // a Host is host[:port] (RFC 9110 §7.2): the URL parser took what comes before an @ for userinfo, and
      // `evil.example@127.0.0.1` was checked as 127.0.0.1 (a review)
      if (host.includes('@')) throw new Error('userinfo')
      hostname = new URL(`http://${host}`).hostname
    } catch {
      throw new MisdirectedRequestError(absolute ? 'the request target\'s host is not a valid host' : 'the Host header is not a valid host')
    }
    if (allowed.has(normalize(hostname))) return
    const loopbackOnly = isLoopbackName(address)
    if (loopbackOnly ? isLoopbackName(hostname) : isAddress(hostname) || isLoopbackName(hostname)) return
    const expected = loopbackOnly ? 'localhost or a loopback address' : 'an IP address or localhost'
    throw new MisdirectedRequestError(`this API (listening on ${address}) answers requests for ${expected}, not ${JSON.stringify(hostname)} (a page of another site calling it through DNS rebinding would look so): name it so, or allow the name with --http-allow-host`)
  }
}
