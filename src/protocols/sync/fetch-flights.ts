import type { PeerId } from '@libp2p/interface'
import type { FetchResult } from './index.ts'

/** What a reconcile's fetch came to: its result, or the error it failed with. */
export type FetchOutcome = { result: FetchResult, error?: undefined } | { result?: undefined, error: Error }

/** What failed a fetch, as an Error (a reconcile reads its name): anything else thrown, or an abort's reason, wrapped. */
export function fetchFailure (thrown: unknown): { error: Error } {
  return { error: thrown instanceof Error ? thrown : new Error(`the fetch failed: ${String(thrown)}`, { cause: thrown }) }
}

/** One running fetch of a chain from a peer. */
export class Flight {
  readonly ended: Promise<FetchOutcome>
  private readonly watchers = new Set<() => void>()

  constructor (fetch: (onMoved: () => void) => Promise<FetchResult>) {
    this.ended = fetch(() => { for (const watcher of this.watchers) watcher() }).then(result => ({ result }), fetchFailure)
  }

  /** Calls `onMoved` at each frame the fetch receives and each append it ends, until the returned function is called. */
  watch (onMoved: () => void): () => void {
    this.watchers.add(onMoved)
    return () => { this.watchers.delete(onMoved) }
  }
}

/**
 * The fetches reconciles run now, at most one per chain and peer. A
 * reconcile that finds one running for a peer it would fetch from waits for
 * it and takes its outcome as its own. Until 2026-12-03 it opened a second
 * stream beside the first: every reconcile that took the turn of a stalled
 * fetch opened one more stream to the staller, and a peer that paused past
 * the stall grace and went on sent each block twice (the store refused the
 * copies: nothing was lost, but the bytes were spent).
 */
export class FetchFlights {
  private readonly flights = new Map<string, Flight>()

  get (chainId: string, peer: PeerId): Flight | undefined {
    return this.flights.get(key(chainId, peer))
  }

  /** Runs `fetch` as the flight of `chainId` from `peer`; none may be running (see get). */
  async run (chainId: string, peer: PeerId, fetch: (onMoved: () => void) => Promise<FetchResult>): Promise<FetchOutcome> {
    const k = key(chainId, peer)
    if (this.flights.has(k)) throw new Error(`a fetch of ${chainId} from ${peer.toString()} is already running`)
    const flight = new Flight(fetch)
    this.flights.set(k, flight)
    try {
      return await flight.ended
    } finally {
      this.flights.delete(k)
    }
  }
}

function key (chainId: string, peer: PeerId): string {
  return `${chainId}\n${peer.toString()}`
}
