import type { FastifyInstance } from 'fastify'
import type { VGuardNode } from '../node/index.ts'
import { statusOf } from './status.ts'
import { registerChainRoutes } from './routes-chains.ts'
import { registerPinRoutes } from './routes-pins.ts'
import type { PayloadBudget } from './payload-budget.ts'

export type { StatusBody, ChainStatus } from './status.ts'
export { statusOf } from './status.ts'

/** `budget`: payload bytes the data reads may turn into JSON at once (shared with the redirect read). */
export function registerRoutes (server: FastifyInstance, node: VGuardNode, budget: PayloadBudget): void {
  // a node not (or no longer) started is unhealthy by the status code too: probes (curl -f, orchestrators) read nothing else
  server.get('/health', async (_req, reply) => {
    const ok = node.status === 'started'
    if (!ok) void reply.code(503)
    return { ok, peerId: node.peerId.toString(), ...(ok ? {} : { status: node.status }) }
  })
  server.get('/status', async () => await statusOf(node))
  registerChainRoutes(server, node, budget)
  registerPinRoutes(server, node)
}
