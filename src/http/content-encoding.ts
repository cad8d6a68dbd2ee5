/**
 * Refuses request bodies sent with a Content-Encoding (gzip, br, …). The API
 * stores a PUT body as the value's bytes exactly as they arrive, so a
 * compressed body would be committed compressed and read back as something
 * the client never wrote; a JSON body would fail to parse with a misleading
 * error. RFC 9110 §8.4.1: a server that does not accept a coding answers 415.
 */
import type { FastifyRequest } from 'fastify'
import { UnsupportedMediaTypeError } from './errors.ts'

/** onRequest hook: throws before the body is read, so nothing of it is stored. */
export async function refuseContentEncoding (req: FastifyRequest): Promise<void> {
  const header = req.headers['content-encoding']
  if (header == null) return
  const codings = (Array.isArray(header) ? header.join(',') : header).split(',').map(c => c.trim().toLowerCase()).filter(c => c !== '')
  const refused = codings.filter(c => c !== 'identity')
  if (refused.length === 0) return
  throw new UnsupportedMediaTypeError(`Content-Encoding ${refused.join(', ')} is not accepted: send the body uncompressed (a value is stored as the bytes sent)`)
}
