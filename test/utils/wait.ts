/**
 * Polls a condition until it holds; fails with the message after the
 * timeout, followed by what `state` says (for a flake seen only in CI).
 */
export async function waitFor (condition: () => boolean | Promise<boolean>, options: { timeout?: number, interval?: number, message?: string, state?: () => unknown } = {}): Promise<void> {
  const timeout = options.timeout ?? 20_000
  const interval = options.interval ?? 50
  // monotonic: a test that sets the wall clock (Date faked) still times out
  const deadline = performance.now() + timeout
  while (true) {
    if (await condition()) return
    if (performance.now() > deadline) {
      const state = options.state == null ? '' : `; state: ${JSON.stringify(await options.state())}`
      throw new Error(`timed out after ${timeout} ms waiting for ${options.message ?? 'condition'}${state}`)
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}

/** The libp2p part of a node that `gossipAgedOut` listens to. */
interface GossipNode { libp2p: { services: { pubsub: EventTarget } } }

/**
 * Resolves once every node has run gossipsub's heartbeat `beats` times from
 * now. gossipsub offers a message to peers it meets (IHAVE) for 3 heartbeats
 * after it arrived and answers IWANTs for 5: after 5 on every node that holds
 * it, a vehicle that joins can no longer hear it by gossip.
 */
export async function gossipAgedOut (nodes: GossipNode[], beats = 5, timeout = 20_000): Promise<void> {
  await Promise.all(nodes.map(async node => {
    const pubsub = node.libp2p.services.pubsub
    let seen = 0
    let onBeat = (): void => {}
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        onBeat = () => { if (++seen >= beats) resolve() }
        pubsub.addEventListener('gossipsub:heartbeat', onBeat)
        timer = setTimeout(() => { reject(new Error(`timed out after ${timeout} ms waiting for ${beats} gossipsub heartbeats (saw ${seen})`)) }, timeout)
      })
    } finally {
      pubsub.removeEventListener('gossipsub:heartbeat', onBeat)
      clearTimeout(timer)
    }
  }))
}

/**
 * The outcome of `work`; if it fails, its error's message is followed by what
 * `state` says at that moment (for a flake seen only in CI).
 */
export async function withState<T> (work: Promise<T>, state: () => unknown): Promise<T> {
  try {
    return await work
  } catch (err) {
    const e = err as Error
    e.message = `${e.message}; state: ${JSON.stringify(state())}`
    throw e
  }
}
