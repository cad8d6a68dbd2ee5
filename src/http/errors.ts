/**
 * The one place that maps error names to HTTP status codes. Routes throw typed
 * errors; this turns them into `{ "error": name, "message": text }` bodies.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

const STATUS_BY_NAME: Record<string, number> = {
  ConfigError: 400,
  InvalidRequestError: 400,
  InvalidMessageError: 400,
  NotFoundError: 404,
  ChainNotFoundError: 404,
  KeyNotFoundError: 404,
  PayloadTooLargeError: 413,
  NoQuorumError: 503,
  // consensus writes and consistent reads (src/node/consensus-errors.ts)
  CommitTimeoutError: 503,
  NoLeaderError: 503,
  NotProposerError: 503,
  ProposerUnreachableError: 503,
  QuorumReadError: 503,
  ConsensusStoppedError: 503,
  RefusedWriteError: 403,
  NoHolderReachableError: 503,
  InvalidBoothError: 400,
  InvalidTransactionError: 400,
  NotStartedError: 503,
  UnavailableError: 503,
  TimeoutError: 504
}

/** A request's parameters or body are malformed. */
export class InvalidRequestError extends Error {
  static name = 'InvalidRequestError'
  constructor (message = 'Invalid request') {
    super(message)
    this.name = 'InvalidRequestError'
  }
}

/** The resource asked for does not exist here. */
export class NotFoundError extends Error {
  static name = 'NotFoundError'
  constructor (message = 'Not found') {
    super(message)
    this.name = 'NotFoundError'
  }
}

export function statusOf (err: Error & { statusCode?: number }): number {
  const byName = STATUS_BY_NAME[err.name]
  if (byName != null) return byName
  // fastify's own errors (bad JSON, body too large) carry a 4xx status code
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return err.statusCode
  return 500
}

export function errorHandler (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(err)
  const name = err.name === 'FastifyError' || err.name === 'Error' ? (err.code ?? err.name) : err.name
  // errors may carry structured details (whom a read tried, the path it took)
  const extra = err as FastifyError & { details?: Record<string, unknown>, tried?: unknown[] }
  void reply.status(status).send({ error: name, message: err.message, ...(extra.tried != null ? { tried: extra.tried } : {}), ...(extra.details ?? {}) })
}
