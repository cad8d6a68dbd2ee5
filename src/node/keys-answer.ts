/**
 * A page of keys a holder answers (KEYS), as a reader takes it: the keys
 * must be the ones asked for, in the order asked for. A holder's copy may be
 * old (the read judges that by its epoch and height), but a page that breaks
 * these rules is no answer to the request at all: a made-up or broken one
 * must not be served, nor make the reader go on after a key it invented.
 * Values are the holder's word, as a KEY answer's value is.
 */
import { keyProblem } from '../chain/index.ts'
import { ReadRequest, ReadResponse } from '../protocols/read/index.ts'

const utf8 = new TextEncoder()

/** Why a page of keys does not answer the request it was asked, if it does not. */
function keysProblem (request: ReadRequest, response: ReadResponse): string | undefined {
  if (response.entries.length > request.limit) return `${response.entries.length} keys, ${request.limit} asked for at most`
  if (response.more && response.entries.length === 0) return 'more keys said to follow an empty page'
  let before = request.after === '' ? undefined : utf8.encode(request.after)
  for (const e of response.entries) {
    // no write stores such a key (an empty one, with more said to follow, made the reader ask the same page for good)
    const bad = keyProblem(e.key)
    if (bad != null) return `${JSON.stringify(e.key.slice(0, 64))}: ${bad}`
    const key = utf8.encode(e.key)
    if (!e.key.startsWith(request.prefix)) return `key ${JSON.stringify(e.key)} is not under the prefix ${JSON.stringify(request.prefix)}`
    if (before != null && Buffer.compare(key, before) <= 0) return `key ${JSON.stringify(e.key)} is out of order (not after the one before it, or the request's after)`
    if ((request.keysOnly || e.pruned) && e.value.byteLength > 0) return `key ${JSON.stringify(e.key)} carries a value it says it has not`
    if (e.height < 1 || e.height > response.height) return `key ${JSON.stringify(e.key)} written at height ${e.height} of a chain held up to ${response.height}`
    before = key
  }
  return undefined
}

/**
 * A holder's answer to a KEYS request with its page checked: one that does
 * not answer the request becomes an ERROR naming why, so the read moves on
 * to the next holder. Other answers pass unchanged.
 */
export function checkedKeysAnswer (request: ReadRequest, response: ReadResponse): ReadResponse {
  if (request.kind !== ReadRequest.Kind.KEYS || response.status !== ReadResponse.Status.OK) return response
  const problem = keysProblem(request, response)
  if (problem == null) return response
  return { ...response, status: ReadResponse.Status.ERROR, entries: [], more: false, message: `keys that do not answer the request: ${problem}` }
}
