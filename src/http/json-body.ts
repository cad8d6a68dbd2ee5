/**
 * The JSON body parser, fastify's own (secure-json-parse: a `__proto__` or
 * `constructor.prototype` key is refused, never merged), with refusals that
 * say what is wrong. fastify answers both a syntax error and such a key
 * "Body is not valid JSON", which sent a client looking for a typo in a
 * well-formed body. A body that names a field twice in one object is
 * refused too (src/http/duplicate-keys.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidRequestError, UnsupportedMediaTypeError } from './errors.ts'
import { duplicateKey } from './duplicate-keys.ts'

/** A JSON body's charset when it is not UTF-8: the body is read as UTF-8 whatever it names (UTF-16 parsed as garbage, or as another text). */
function refusedCharset (contentType: string | undefined): UnsupportedMediaTypeError | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]
  if (charset == null || /^utf-?8$/i.test(charset)) return undefined
  return new UnsupportedMediaTypeError(`a JSON body is read as UTF-8: charset ${charset} is not taken (send it as UTF-8, or name no charset)`)
}

/**
 * onRequest hook of a route that reads a JSON body: a charset other than
 * UTF-8 is refused before the body is read. The parser alone saw it once the
 * body had arrived, so a client waiting for its 100 was invited to send the
 * body first (a probe, 2026-12-03). @throws UnsupportedMediaTypeError
 */
export async function refuseJsonCharset (req: FastifyRequest): Promise<void> {
  const contentType = req.headers['content-type']
  if (contentType == null || !/^\s*application\/json\s*(;|$)/i.test(contentType)) return
  const refused = refusedCharset(contentType)
  if (refused != null) throw refused
}

export function useExplainingJsonParser (server: FastifyInstance): void {
  const secure = server.getDefaultJsonParser('error', 'error')
  server.removeContentTypeParser('application/json')
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // also for a request no route takes (405 parses its JSON first), which no route's hook checked
    const refused = refusedCharset(req.headers['content-type'])
    if (refused != null) {
      done(refused, undefined)
      return
    }
    secure(req, body as string, (err, value) => {
      if (err == null) {
        const twice = duplicateKey(body as string)
        if (twice == null) done(null, value)
        else done(new InvalidRequestError(`the body names ${JSON.stringify(twice)} twice in one object: give each field once (a JSON parser keeps one of them, not always the same)`), undefined)
        return
      }
      if ((err as Error & { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') {
        done(err, value)
        return
      }
      try {
        JSON.parse(body as string)
      } catch (syntax) {
        done(new InvalidRequestError(`the body is not valid JSON: ${(syntax as Error).message}`), undefined)
        return
      }
      done(new InvalidRequestError('the body holds a "__proto__" or "constructor" key with a "prototype", which is refused (prototype poisoning)'), undefined)
    })
  })
}
