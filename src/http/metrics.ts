/**
 * `GET /metrics`: the node's Prometheus metrics (src/node/metrics.ts) followed
 * by the process's (CPU, memory, event loop, GC: prom-client's defaults).
 */
import { collectDefaultMetrics, Registry } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { VGuardNode } from '../node/index.ts'

/**
 * One per process, made at the first scrape: its event-loop monitor and GC
 * observer are process-wide, and a node nobody scrapes should not run them.
 */
let processRegistry: Registry | undefined

function processMetrics (): Registry {
  if (processRegistry == null) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export function registerMetricsRoute (server: FastifyInstance, node: VGuardNode): void {
  server.get('/metrics', async (_req, reply) => {
    const [own, process] = await Promise.all([node.metrics.metrics(), processMetrics().metrics()])
    void reply.type(node.metrics.contentType)
    return `${own}\n${process}`
  })
}
