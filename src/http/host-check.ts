/**
 * DNS rebinding: a web page the user opens can make its own domain resolve to
 * 127.0.0.1 and then call this API as if it were the page's own origin —
 * writes included, no CORS in the way. Every client of an API bound to
 * loopback names it by a loopback address or `localhost`, so any other Host
 * is refused. An API bound to another address (a LAN, a container) is named
 * by whatever the network calls it and is not checked.
 */
import type { FastifyRequest } from 'fastify'
import { MisdirectedRequestError } from './errors.ts'

export function isLoopbackName (hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(name) || name === '[::1]' || name === '::1'
}

/** The onRequest check for an API listening on `bindHost`; undefined when it is not loopback-only. */
export function loopbackHostCheck (bindHost: string): ((req: FastifyRequest) => Promise<void>) | undefined {
  if (!isLoopbackName(bindHost)) return undefined
  return async (req) => {
    const host = req.headers.host ?? ''
    let hostname: string
    try {
      hostname = new URL(`http://${host}`).hostname
    } catch {
      throw new MisdirectedRequestError('the Host header is not a valid host')
    }
    if (!isLoopbackName(hostname)) {
      throw new MisdirectedRequestError(`this API listens on ${bindHost} only and answers requests for localhost or a loopback address, not ${JSON.stringify(hostname)}`)
    }
  }
}
