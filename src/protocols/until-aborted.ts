/**
 * `work`'s outcome, or `signal`'s reason once it aborts first, leaving the
 * work itself to run on: for work that must not be cut off (a muxer's ping,
 * see muxer-ping.ts; a fetch another reconcile runs, see sync.ts). Its later
 * end, whatever it is, comes after we stopped listening.
 */
export async function untilAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {})
  signal.throwIfAborted()
  let onAbort = (): void => {}
  const aborted = new Promise<never>((resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
