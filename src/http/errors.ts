/**
 * The one place that maps error names to HTTP status codes. Routes throw typed
 * errors; this turns them into `{ "error": name, "message": text }` bodies.
 */
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { STATUS_CODES } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { API_HEADER } from './api-header.ts'
import { VERSION } from '../node/version.ts'
import { isDatabaseClosed } from '../node/errors.ts'
import { originForm } from './origin-form.ts'
import { linger } from './lingering-close.ts'
import { HEAD_LIMIT_TEXT, overflowInTarget } from './target-too-long.ts'
import type { ParserError } from './target-too-long.ts'

const STATUS_BY_NAME: Record<string, number> = {
  ConfigError: 400,
  InvalidRequestError: 400,
  // our own protocol request over its server's limit: the caller's input made it so, no peer was asked
  RequestTooLargeError: 400,
  // a peer's malformed or rule-breaking answer, not the HTTP client's fault (Bad Gateway)
  InvalidMessageError: 502,
  // the peer went away mid-answer: unavailable, not a peer that broke the protocol
  AnswerCutOffError: 503,
  MalformedMessageError: 502,
  ProtocolError: 502,
  NotFoundError: 404,
  ChainNotFoundError: 404,
  KeyNotFoundError: 404,
  BlockNotFoundError: 404,
  // a path the API serves, with a method it does not take there (src/http/allowed-methods.ts)
  MethodNotAllowedError: 405,
  PayloadTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  // a Host other than loopback on a loopback-only API (DNS rebinding: src/http/host-check.ts)
  MisdirectedRequestError: 421,
  NoQuorumError: 503,
  // consensus writes and consistent reads (src/node/consensus-errors.ts)
  CommitTimeoutError: 503,
  NoLeaderError: 503,
  NotProposerError: 503,
  ProposerUnreachableError: 503,
  QuorumReadError: 503,
  InvalidReadError: 400,
  // a store read with a bad argument (the routes check their own first)
  InvalidArgumentError: 400,
  ConsensusStoppedError: 503,
  // this vehicle's backups hold more of its chain than it does, and none handed it over
  ChainRecoveryError: 503,
  // a local read of our own chain while it is not back after our database was lost
  OwnChainNotBackError: 503,
  RefusedWriteError: 403,
  // our chain went another way than the one our backups hold: a round would replace their copies
  OwnChainConflictError: 409,
  NoHolderReachableError: 503,
  InvalidBoothError: 400,
  InvalidTransactionError: 400,
  InvalidPinError: 400,
  InvalidIdempotencyKeyError: 400,
  NotStartedError: 503,
  NodeStoppedError: 503,
  // a replication round the node's stop cut short (its block committed: the message says so)
  ReplicationStoppedError: 503,
  // an end of booth's round that failed otherwise, its block committed (the message names it): the node's fault
  ReplicationFailedError: 500,
  // the chain store closed under a read (stop() while the API still answers, a failed write)
  StoreClosedError: 503,
  UnavailableError: 503,
  TimeoutError: 504,
  // the data dir's disk is full (src/storage/errors.ts)
  DiskFullError: 507,
  // the HTTP parser's own refusals (clientErrorHandler below)
  RequestTimeoutError: 408,
  HeadersTooLargeError: 431,
  // a request target that took the head over its limit alone (src/http/target-too-long.ts)
  URITooLongError: 414,
  // an Expect the API does not meet (anything but 100-continue: expectationHandler below)
  ExpectationFailedError: 417,
  // a transfer coding other than chunked (src/http/content-encoding.ts; RFC 9112 §6.1)
  NotImplementedError: 501
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

/** The key has no value in the chain's state (never written, or deleted): a read of this node's copy (`/kv`) or one with redirect (`/read`). */
export class KeyNotFoundError extends Error {
  static name = 'KeyNotFoundError'
  constructor (message = 'Key not found') {
    super(message)
    this.name = 'KeyNotFoundError'
  }
}

/** The node cannot take this request now (e.g. too many live event streams); try again later. */
export class UnavailableError extends Error {
  static name = 'UnavailableError'
  /** A keyed write refused here: this attempt ran nothing, an earlier one under its key may commit (see keyedFailure, src/node/write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Unavailable', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'UnavailableError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** The request's body comes in a form this API does not take (a content coding: src/http/content-encoding.ts). */
export class UnsupportedMediaTypeError extends Error {
  static name = 'UnsupportedMediaTypeError'
  constructor (message = 'Unsupported media type') {
    super(message)
    this.name = 'UnsupportedMediaTypeError'
  }
}

/** The request's body comes with a transfer coding this API does not implement (anything but chunked: src/http/content-encoding.ts). */
export class NotImplementedError extends Error {
  static name = 'NotImplementedError'
  constructor (message = 'Not implemented') {
    super(message)
    this.name = 'NotImplementedError'
  }
}

/** The Host header names something other than this loopback-only API (src/http/host-check.ts). */
export class MisdirectedRequestError extends Error {
  static name = 'MisdirectedRequestError'
  constructor (message = 'Misdirected request') {
    super(message)
    this.name = 'MisdirectedRequestError'
  }
}

/** Whether errors named `name` have a status of their own here (not the 500 of an error not known). */
export function hasStatus (name: string): boolean {
  return Object.hasOwn(STATUS_BY_NAME, name)
}

export function statusOf (err: Error & { statusCode?: number }): number {
  const byName = STATUS_BY_NAME[err.name]
  if (byName != null) return byName
  // fastify's own errors (bad JSON, body too large) carry a 4xx status code
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return err.statusCode
  return 500
}

/**
 * fastify's refusals of a body, under the names our own errors use (clients
 * match on `error`; a framework's internal code would change with it).
 */
const FRAMEWORK_ERROR_NAMES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'InvalidRequestError',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'InvalidRequestError',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidRequestError',
  FST_ERR_VALIDATION: 'InvalidRequestError',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLargeError',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaTypeError'
}

/**
 * What a 415 for a Content-Type that is no type/subtype tells the client to
 * send: the kv writes take a body of any type (a DELETE's was told to send
 * JSON, which it ignores: a review), the pin changes ignore theirs, the
 * other routes take JSON.
 */
function mediaTypeAdvice (req: FastifyRequest): string {
  const path = originForm(req.url)
  if (/^\/chains\/[^/]+\/pins\//.test(path)) return 'a Content-Type is type/subtype (any: a pin\'s body is ignored), or send none'
  if (!/^\/chains\/[^/]+\/kv\//.test(path)) return 'send the body as application/json'
  // a value is stored as the bytes sent, whatever its type: only a type that is no type/subtype is refused
  if (req.method === 'PUT') return 'a Content-Type is type/subtype (any, the value is stored as the bytes sent)'
  if (req.method === 'DELETE') return 'a Content-Type is type/subtype (any: a DELETE\'s body is ignored), or send none'
  return 'send the body as application/json'
}

export function errorHandler (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  // a database closed with its node: the node stopped (a store that stopped on a failed write stays StoreClosedError);
  // an embedder's API that outlives node.stop() answers its reads with these (the CLI drains the API first, and closes it after the node)
  if (isDatabaseClosed(err)) {
    // one that says its write may have committed (an end of booth's block, committed before its round met the
    // closed store) keeps its words and its flag: they were answered "the node was stopped", no flag (a test)
    const committed = (err as { mayHaveCommitted?: unknown }).mayHaveCommitted === true
    void reply.status(503).send(committed
      ? { error: 'NodeStoppedError', message: err.message, mayHaveCommitted: true }
      : { error: 'NodeStoppedError', message: 'the node was stopped: its database is closed' })
    return
  }
  const name = err.name === 'FastifyError' || err.name === 'Error'
    ? (FRAMEWORK_ERROR_NAMES[err.code] ?? err.code ?? err.name)
    : err.name
  const status = STATUS_BY_NAME[name] ?? statusOf(err)
  // errors may carry structured details (whom a read tried, the path it took)
  const extra = err as FastifyError & { details?: Record<string, unknown>, tried?: unknown[], mayHaveCommitted?: boolean }
  // fastify says only "Unsupported Media Type: foo": the routes that parse bodies here take JSON
  // (a value written with PUT /chains/:id/kv/:key is taken as bytes, whatever its type)
  const message = err.code !== 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? err.message : `${err.message}: ${mediaTypeAdvice(req)}`
  void reply.status(status).send({
    error: name,
    message,
    ...(extra.tried != null ? { tried: extra.tried } : {}),
    // a write that failed after it was sent or proposed: the client must not take it for lost
    ...(extra.mayHaveCommitted === true ? { mayHaveCommitted: true } : {}),
    ...(extra.details ?? {})
  })
}

/**
 * Router errors fastify would otherwise answer itself, in its own JSON shape
 * (`{ error: "Bad Request", code, statusCode }`): a path that is not valid
 * percent-encoding, a path parameter over maxParamLength. Both are the
 * client's mistake in the URL: 400 like any other bad parameter.
 */
export function frameworkErrorHandler (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_BAD_URL'
    ? 'the URL path is not valid percent-encoding'
    : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long (chain ids are peer ids or shared, keys at most 1 KiB)'
      : undefined
  // answered before routing: the onSend hook that marks every answer does not run
  void reply.header(API_HEADER, VERSION)
  errorHandler(message != null ? new InvalidRequestError(message) as FastifyError : err, req, reply)
}

/**
 * Requests Node's HTTP parser refuses never reach fastify's handlers; its
 * default answer is yet another shape. This writes ours on the raw socket,
 * after the answers `answered(socket)` waits for: those of the requests that
 * came whole before the refused bytes on that connection (src/http/unanswered.ts).
 */
export function clientErrorHandler (answered: (socket: Socket) => Promise<void> | undefined): (err: Error & { code?: string }, socket: Socket) => void {
  // the parser stays refused: more bytes, or the request timeout, raise the error again while its answer waits
  const refusing = new WeakSet<Socket>()
  return (err, socket) => {
    // a reset connection has no one left to answer
    if (err.code === 'ECONNRESET' || socket.destroyed || refusing.has(socket)) return
    refusing.add(socket)
    const [name, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['RequestTimeoutError', 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? headOverflow(err)
        : ['InvalidRequestError', 'malformed HTTP request']
    const refuse = (after: string): void => {
      answerRaw(socket, name, `${message}${after}`)
      // closed at once, the bytes still arriving (a header that goes on, the rest of a body) reset the
      // connection under the answer, and the client read a reset, not the 431 or 400 (a probe, 2026-12-03)
      linger(socket)
    }
    const waiting = answered(socket)
    if (waiting == null) {
      refuse('')
      return
    }
    void waiting.then(() => { refuse(' (the bytes after a request this connection sent, answered before this)') })
  }
}

/** The name and message of a head over Node's limit: a target too long, or headers (the request line counts with them). */
function headOverflow (err: Error & ParserError): [string, string] {
  const limit = `the request line and headers take at most ${HEAD_LIMIT_TEXT} together`
  return overflowInTarget(err)
    ? ['URITooLongError', `the request target (URL) is too long: ${limit}`]
    : ['HeadersTooLargeError', `the request headers are too large: ${limit}`]
}

/**
 * A CONNECT (a client taking this API for a proxy) never reaches fastify:
 * Node hands its socket to a 'connect' listener, and with none closes it
 * unanswered. It is answered 405 here, in the documented shape.
 */
export function connectHandler (_req: IncomingMessage, socket: Duplex): void {
  // an empty Allow: a CONNECT names a host to tunnel to, a resource this API does not have (RFC 9110 §10.2.1)
  answerRaw(socket, 'MethodNotAllowedError', 'this is a vguard-node API, not a proxy: CONNECT is not taken', 'Allow: \r\n')
  socket.destroy()
}

/**
 * A request with an Expect other than 100-continue never reaches fastify:
 * Node answers it 417 itself, with no body and without the API header, unless
 * a 'checkExpectation' listener does. This one answers in the documented shape.
 */
export function expectationHandler (req: IncomingMessage, res: ServerResponse): void {
  const expectation = String(req.headers.expect ?? '').slice(0, 200)
  const body = JSON.stringify({ error: 'ExpectationFailedError', message: `Expect: ${expectation} is not met: this API meets 100-continue alone (send the request without the header)` })
  // the body may follow without waiting for an answer: the connection ends with this one
  res.writeHead(STATUS_BY_NAME.ExpectationFailedError, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    [API_HEADER]: VERSION,
    connection: 'close'
  })
  res.end(body)
}

/** An error answer written on the raw socket, for requests no handler of fastify's sees. */
function answerRaw (socket: Duplex, name: string, message: string, headers = ''): void {
  const status = STATUS_BY_NAME[name]
  const body = JSON.stringify({ error: name, message })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\n${API_HEADER}: ${VERSION}\r\nConnection: close\r\n\r\n${body}`)
  }
}
