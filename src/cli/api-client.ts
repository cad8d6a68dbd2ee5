/**
 * A client of a running node's local HTTP API, for the CLI's data commands
 * (status, get, put, delete, read, blocks). It speaks only the documented API
 * (docs/operations.md): the CLI may run where the node runs under another
 * user, in a container, or as a service, and must not open its data dir.
 */
import { request as httpRequest } from 'node:http'
import type { HostPort } from './options.ts'
import { API_HEADER } from '../http/api-header.ts'

/**
 * The node's answer was an error; `status` and `name` are the API's (`{ error, message }`).
 * `mayHaveCommitted`: a write's answer that said so (the body's flag), with how to retry it.
 */
export class ApiError extends Error {
  static name = 'ApiError'
  readonly status: number
  readonly errorName: string
  readonly details: Record<string, unknown>
  readonly mayHaveCommitted?: { retry: string }
  constructor (status: number, errorName: string, message: string, details: Record<string, unknown> = {}, mayHaveCommitted?: { retry: string }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.errorName = errorName
    this.details = details
    if (mayHaveCommitted != null) this.mayHaveCommitted = mayHaveCommitted
  }
}

/**
 * No node answered at the address, or it answered something that is not the API.
 * `mayHaveCommitted`: a write that went out whole and was not answered (its message says how to retry it).
 */
export class NodeUnreachableError extends Error {
  static name = 'NodeUnreachableError'
  readonly mayHaveCommitted: boolean
  constructor (message = 'no vguard-node answers', mayHaveCommitted = false) {
    super(message)
    this.name = 'NodeUnreachableError'
    this.mayHaveCommitted = mayHaveCommitted
  }
}

export interface ApiRequest {
  method?: 'GET' | 'PUT' | 'DELETE' | 'POST'
  /** Already percent-encoded, from the root: `/chains/…`. */
  path: string
  /**
   * What the request may have done if it went unanswered: `commit` a write through consensus (put, delete), which may
   * still commit; `repeatable` a change the same request makes no second time (pin, unpin). Left out: a read.
   * Not told by the method: a pin is a PUT, and was said to be a write a retry may make twice, with exit 3 (a probe, 2026-12-03).
   */
  effect?: 'commit' | 'repeatable'
  query?: Record<string, string | number | undefined>
  headers?: Record<string, string>
  body?: Uint8Array<ArrayBuffer>
  /**
   * Fields a 2xx answer must have, by kind, for the command to read it: an
   * answer without them (a node of another version, a proxy) is said so,
   * not met with a TypeError from deep in the formatting (a probe).
   */
  expect?: Record<string, FieldKind>
  /** Statuses besides 2xx whose answer is read as one, not as an error: GET /health's 503 still names the node. */
  readable?: readonly number[]
}

type FieldKind = 'string' | 'number' | 'boolean' | 'array' | 'object'

function isKind (value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'array': return Array.isArray(value)
    case 'object': return typeof value === 'object' && value != null && !Array.isArray(value)
    case 'string': return typeof value === 'string'
    case 'number': return typeof value === 'number'
    case 'boolean': return typeof value === 'boolean'
  }
}

/**
 * Whether `value` has `path` of `kind`: `a.b` is a field of a field, and
 * `list[].f` the field of every element of a list (an element's own fields
 * are read too: a probe met TypeErrors and "undefined" printed with exit 0).
 */
function hasField (value: unknown, path: string[], kind: FieldKind): boolean {
  if (path.length === 0) return isKind(value, kind)
  if (!isKind(value, 'object')) return false
  const [head, ...rest] = path
  const record = value as Record<string, unknown>
  if (!head.endsWith('[]')) return hasField(record[head], rest, kind)
  const list = record[head.slice(0, -2)]
  return Array.isArray(list) && list.every(item => hasField(item, rest, kind))
}

/** The first field `body` lacks among those `expect` names, as "field (a kind)". */
function missingField (body: unknown, expect: Record<string, FieldKind>): string | undefined {
  for (const [field, kind] of Object.entries(expect)) {
    if (!hasField(body, field.split('.'), kind)) return `${field} (${kind === 'array' || kind === 'object' ? `an ${kind}` : `a ${kind}`})`
  }
  return undefined
}

export interface ApiClient {
  readonly url: string
  request: <T>(request: ApiRequest) => Promise<T>
}

/** A node bound to every address (0.0.0.0, ::) is reached on loopback. */
function reachable (address: HostPort): HostPort {
  return { host: address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host, port: address.port }
}

function urlOf ({ host, port }: HostPort): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** How much of an answer an error quotes. */
const QUOTED_CHARS = 200
/** The bytes that hold QUOTED_CHARS characters, however long each one's UTF-8 is. */
const QUOTED_BYTES = QUOTED_CHARS * 4

/** An answer; its text cut short (QUOTED_BYTES) when it is not the node's. */
interface RawAnswer { status: number, text: string, fromNode: boolean }

/** A request that failed, and whether all of it had gone out: a write the node read whole may commit. */
interface SendError extends Error { code?: string, sent?: boolean }

/**
 * One request with node:http, not fetch: fetch refuses the ports the Fetch
 * standard calls bad (6000, 6665-6669, 10080, …), and an operator may well
 * have put a node's API on one of them.
 */
async function send (target: HostPort, path: string, request: ApiRequest, timeoutMs: number): Promise<RawAnswer> {
  return await new Promise<RawAnswer>((resolve, reject) => {
    const body = request.body
    // the path as it is: a URL object would take a segment `%2E` for `.` and drop it
    const req = httpRequest({
      host: target.host,
      port: target.port,
      path,
      method: request.method ?? 'GET',
      headers: { ...(body != null ? { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) } : {}), ...request.headers },
      signal: AbortSignal.timeout(timeoutMs)
    }, (res) => {
      const fromNode = res.headers[API_HEADER] != null
      // what is not the node is only quoted, so only its first bytes are read: another program on the port may
      // send a file, or a stream that never ends (a probe, 2026-12-03: 4.6 GB held until --timeout, then "did not answer")
      const limit = fromNode ? Number.POSITIVE_INFINITY : QUOTED_BYTES
      const chunks: Buffer[] = []
      let size = 0
      const answer = (): void => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), fromNode }) }
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.byteLength
        if (size < limit) return
        answer()
        res.destroy()
      })
      res.on('end', answer)
      res.on('error', reject)
    })
    // the request left whole (a node that then closed the connection, killed say, may have taken the write)
    let sent = false
    req.on('finish', () => { sent = true })
    req.on('error', (err: SendError) => {
      err.sent = sent
      reject(err)
    })
    req.end(body)
  })
}

/** How to retry a write that may have committed: with its key it commits once; without one, a retry may write it twice. */
function retryAdvice (request: ApiRequest): string {
  if (request.headers?.['idempotency-key'] != null) return 'retried with the same --idempotency-key it commits once'
  return 'it had no --idempotency-key, so a retry may write it a second time (read the key first; give writes a key to retry them safely)'
}

export function createApiClient (address: HostPort, timeoutMs: number): ApiClient {
  const target = reachable(address)
  const url = urlOf(target)
  return {
    url,
    async request<T>(request: ApiRequest): Promise<T> {
      const query = new URLSearchParams()
      for (const [name, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) query.set(name, String(value))
      }
      const path = query.size > 0 ? `${request.path}?${query.toString()}` : request.path
      let res: RawAnswer
      try {
        res = await send(target, path, request, timeoutMs)
      } catch (err) {
        const e = err as SendError
        // a write the node took may commit after we stopped waiting
        const write = request.effect === 'commit'
        const outcome = write ? `: the write may still commit; ${retryAdvice(request)}` : request.effect === 'repeatable' ? ': it may have been done; the same command again is safe (it changes nothing a second time)' : ''
        if (e.name === 'AbortError' || e.name === 'TimeoutError') {
          throw new NodeUnreachableError(`the node at ${url} did not answer within ${timeoutMs} ms (--timeout)${outcome}`, write)
        }
        // the connection closed after the whole request went out: the node read it, and may be committing the write
        // (it said "no vguard-node answers … is it started?", as for a node never reached: a test)
        if (e.sent === true) {
          throw new NodeUnreachableError(`the node at ${url} closed the connection before it answered (${e.code ?? e.message})${outcome}`, write)
        }
        throw new NodeUnreachableError(`no vguard-node answers at ${url} (${e.code ?? e.message}): is it started, and does --http (VGUARD_HTTP) name its API?`)
      }
      // another program on the port may well answer JSON: only the node's answers count
      if (!res.fromNode) throw new NodeUnreachableError(`${url} is not a vguard-node API (HTTP ${res.status}, no ${API_HEADER} header): does --http (VGUARD_HTTP) name the node's API? It answered: ${res.text.slice(0, QUOTED_CHARS)}`)
      let body: unknown
      try {
        body = JSON.parse(res.text)
      } catch {
        throw new NodeUnreachableError(`${url} answered HTTP ${res.status} with something that is not the vguard-node API: ${res.text.slice(0, QUOTED_CHARS)}`)
      }
      const { error, message, ...details } = (isKind(body, 'object') ? body : {}) as { error?: unknown, message?: unknown } & Record<string, unknown>
      const errorShape = typeof error === 'string' && typeof message === 'string'
      // a readable status in the API's error shape is an error all the same (a stopping node answers every request so)
      if ((res.status >= 200 && res.status < 300) || (request.readable?.includes(res.status) === true && !errorShape)) {
        const missing = request.expect != null ? missingField(body, request.expect) : undefined
        if (missing != null) throw new NodeUnreachableError(`${url} answered ${request.path.split('?')[0]} without ${missing}: is it a vguard-node of another version? It answered: ${res.text.slice(0, QUOTED_CHARS)}`)
        return body as T
      }
      if (!errorShape) {
        throw new NodeUnreachableError(`${url} answered HTTP ${res.status} without the API's error shape: ${res.text.slice(0, QUOTED_CHARS)}`)
      }
      // the body's flag, not the message's words, tells a write that may still commit (the CLI said only the message)
      throw new ApiError(res.status, error as string, message as string, details, details.mayHaveCommitted === true ? { retry: retryAdvice(request) } : undefined)
    }
  }
}

/**
 * A path segment of the API: chain ids and keys may hold any character. A
 * segment of dots alone is escaped too, or it would be taken for "here" or
 * "up" and change the route (the request goes out as written: see send).
 */
export const segment = (value: string): string => /^\.{1,2}$/.test(value) ? value.replaceAll('.', '%2E') : encodeURIComponent(value)
