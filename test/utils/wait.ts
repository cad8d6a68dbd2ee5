/** Polls a condition until it holds; fails with the message after the timeout. */
export async function waitFor (condition: () => boolean | Promise<boolean>, options: { timeout?: number, interval?: number, message?: string } = {}): Promise<void> {
  const timeout = options.timeout ?? 20_000
  const interval = options.interval ?? 50
  const deadline = Date.now() + timeout
  while (true) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${options.message ?? 'condition'}`)
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}
