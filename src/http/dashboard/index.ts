/**
 * The small live dashboard (`GET /dashboard`, `/` leads there) and the event
 * stream it listens to (`GET /events`).
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { VGuardNode } from '../../node/index.ts'
import { DASHBOARD_HTML, DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './page.ts'
import { registerEventStream } from './event-stream.ts'

export { EVENT_TYPES, MAX_EVENT_STREAMS, MAX_UNSENT_BYTES } from './event-stream.ts'

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/**
 * The page runs its own inline script and style and talks to this node only:
 * nothing else may load, run, or frame it, should a value ever slip past textContent.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')

/** `idleTimeout`: the connections' idle timeout (ms): event streams keep alive within it. */
export function registerDashboard (server: FastifyInstance, node: VGuardNode, idleTimeout?: number): void {
  server.get('/', async (_req, reply) => await reply.redirect('/dashboard'))
  server.get('/dashboard', async (_req, reply) => {
    void reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
    return DASHBOARD_HTML
  })
  registerEventStream(server, node, idleTimeout)
}
