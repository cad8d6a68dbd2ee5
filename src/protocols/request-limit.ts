import { RequestTooLargeError } from './errors.ts'

/**
 * Refuses a request the server would not read whole (it resets the stream at
 * its limit), before any stream is opened: the caller gets a typed error
 * saying why, not a reset it cannot tell from a peer going away.
 */
export function checkRequestSize (protocol: string, bytes: number, limit: number): void {
  if (bytes > limit) throw new RequestTooLargeError(`a ${protocol} request is ${bytes} bytes, over the request limit of ${limit}: no peer would read it`)
}
