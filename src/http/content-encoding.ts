/**
 * Refuses request bodies sent with a Content-Encoding (gzip, br, …), or with
 * a transfer coding other than chunked. The API stores a PUT body as the
 * value's bytes exactly as they arrive, so a compressed body would be
 * committed compressed and read back as something the client never wrote; a
 * JSON body would fail to parse with a misleading error. RFC 9110 §8.4.1: a
 * server that does not accept a content coding answers 415; RFC 9112 §6.1:
 * one that does not implement a transfer coding answers 501.
 */
import type { FastifyRequest } from 'fastify'
import { NotImplementedError, UnsupportedMediaTypeError } from './errors.ts'

/** A coding header's codings, lower case, without parameters' spaces or empty members. */
function codingsOf (header: string | string[]): string[] {
  return (Array.isArray(header) ? header.join(',') : header).split(',').map(c => c.trim().toLowerCase()).filter(c => c !== '')
}

/**
 * onRequest hook of the routes that read their body (a value's PUT, the end
 * of booth): throws before the body is read, so nothing of it is stored.
 * Routes that ignore a body (reads, pins, a key's DELETE) ignore its coding
 * too: they answered 415 "send the body uncompressed" of a body they never
 * read, or of none (a probe, 2026-12-03).
 */
export async function refuseContentEncoding (req: FastifyRequest): Promise<void> {
  const header = req.headers['content-encoding']
  if (header == null) return
  const refused = codingsOf(header).filter(c => c !== 'identity')
  if (refused.length === 0) return
  throw new UnsupportedMediaTypeError(`Content-Encoding ${refused.join(', ')} is not accepted: send the body uncompressed (a value is stored as the bytes sent)`)
}

/** onRequest hook of the server: a request no route takes (404, 405) may have its body parsed as JSON first, so its coding is refused as a body route's is. */
export async function refuseContentEncodingUnrouted (req: FastifyRequest): Promise<void> {
  if (req.is404) await refuseContentEncoding(req)
}

/**
 * onRequest hook: a transfer coding other than chunked (`Transfer-Encoding:
 * gzip, chunked`) is refused before the body is read. Node's parser undoes
 * only the chunking, so the body came out still gzipped and a PUT stored it
 * so (a review).
 */
export async function refuseTransferCoding (req: FastifyRequest): Promise<void> {
  const header = req.headers['transfer-encoding']
  if (header == null) return
  const refused = codingsOf(header).filter(c => c !== 'chunked')
  if (refused.length === 0) return
  throw new NotImplementedError(`Transfer-Encoding ${refused.join(', ')} is not implemented: send the body with chunked alone or a Content-Length (a value is stored as the bytes sent)`)
}
