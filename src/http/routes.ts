import type { FastifyInstance } from 'fastify'
import type { VGuardNode } from '../node/index.ts'
import { SHARED_CHAIN } from '../node/paxos-constants.ts'
import { statusOf } from './status.ts'
import { registerChainRoutes } from './routes-chains.ts'
import { registerPinRoutes } from './routes-pins.ts'
import type { PayloadBudget } from './payload-budget.ts'

export type { StatusBody, ChainStatus } from './status.ts'
export { statusOf } from './status.ts'

/** `budget`: payload bytes the data reads may turn into JSON at once (shared with the redirect read). */
export function registerRoutes (server: FastifyInstance, node: VGuardNode, budget: PayloadBudget): void {
  // a node not (or no longer) started is unhealthy by the status code too: probes (curl -f, orchestrators) read nothing else
  // so is one whose own chain or shared chain stopped taking writes (a failed save, a conflict with its backups):
  // it said ok, and an orchestrator never restarted what only a restart (or an operator) mends (a review)
  server.get('/health', async (_req, reply) => {
    const started = node.status === 'started'
    const self = node.peerId.toString()
    const failed = started
      ? node.consensus.status().filter(r => (r.chainId === self || r.chainId === SHARED_CHAIN) && r.failed != null).map(r => ({ chainId: r.chainId, why: r.failed as string }))
      : []
    const ok = started && failed.length === 0
    if (!ok) void reply.code(503)
    return { ok, peerId: self, ...(ok ? {} : { status: node.status }), ...(failed.length > 0 ? { failed } : {}) }
  })
  server.get('/status', async () => await statusOf(node))
  registerChainRoutes(server, node, budget)
  registerPinRoutes(server, node)
}
