/**
 * Which methods the API serves a path with, so that a request for a path it
 * serves, with a method it does not take there (`POST /status`, `PATCH` of a
 * key), is answered 405 with an `Allow` header (RFC 9110 §15.5.6) and not
 * 404: a client then learns that its URL is right and its verb is not.
 * fastify answers every method and path pair it has no route for the same
 * way (not found), so the routes are recorded as they are registered.
 */
import type { FastifyInstance } from 'fastify'

/** The path is served, but not with this method: the error says with which. */
export class MethodNotAllowedError extends Error {
  static name = 'MethodNotAllowedError'
  readonly allow: readonly string[]
  constructor (message: string, allow: readonly string[]) {
    super(message)
    this.name = 'MethodNotAllowedError'
    this.allow = allow
  }
}

interface RouteShape {
  pattern: RegExp
  methods: Set<string>
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A route's path as a pattern over request paths: a parameter is one non-empty segment, as fastify's router takes it. */
function patternOf (url: string): RegExp {
  const source = url.split('/').map(segment => segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment)).join('/')
  return new RegExp(`^${source}$`)
}

/**
 * Records the routes registered on `server` from now on (call it before
 * registering any) and returns the lookup: the methods some route serves
 * `path` with (the path without its query), sorted, or none.
 */
export function trackAllowedMethods (server: FastifyInstance): (path: string) => string[] {
  const routes = new Map<string, RouteShape>()
  server.addHook('onRoute', (route) => {
    const shape = routes.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() }
    for (const method of [route.method].flat()) shape.methods.add(method)
    routes.set(route.url, shape)
  })
  return (path) => {
    const methods = new Set<string>()
    for (const { pattern, methods: served } of routes.values()) {
      if (pattern.test(path)) for (const method of served) methods.add(method)
    }
    return [...methods].sort()
  }
}
