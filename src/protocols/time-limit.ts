/**
 * Settles like `promise`, or rejects with `late()` after `ms`; the timer is
 * cleared either way. `promise` itself goes on: the caller stops waiting for
 * it, nothing more (abort it through its own signal where it takes one).
 */
export async function withinMs<T> (promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => { reject(late()) }, Math.max(0, ms))
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}
