import type { PeerId } from '@libp2p/interface'
import type { FetchResult } from './index.ts'

/** What a reconcile's fetch came to: its result, or the error it failed with. */
export type FetchOutcome = { result: FetchResult, error?: undefined } | { result?: undefined, error: Error }

/** What failed a fetch, as an Error (a reconcile reads its name): anything else thrown, or an abort's reason, wrapped. */
export function fetchFailure (thrown: unknown): { error: Error } {
  return { error: thrown instanceof Error ? thrown : new Error(`the fetch failed: ${String(thrown)}`, { cause: thrown }) }
}

/**
 * Who runs a fetch: a reconcile, or a caller of `fetch` (consensus, up to
 * the block it decided). Another reconcile takes a reconcile's outcome as
 * its own; a fetch's target, vouch and failures are its caller's, so a
 * reconcile only waits for it and looks again.
 */
export type FlightOwner = 'reconcile' | 'fetch'

/** One running fetch of a chain from a peer. */
export class Flight {
  readonly ended: Promise<FetchOutcome>
  private readonly watchers = new Set<() => void>()

  constructor (fetch: (onMoved: () => void) => Promise<FetchResult>, readonly owner: FlightOwner = 'reconcile') {
    this.ended = fetch(() => { for (const watcher of this.watchers) watcher() }).then(result => ({ result }), fetchFailure)
  }

  /** Calls `onMoved` at each frame the fetch receives and each append it ends, until the returned function is called. */
  watch (onMoved: () => void): () => void {
    this.watchers.add(onMoved)
    return () => { this.watchers.delete(onMoved) }
  }
}

/**
 * The fetches running now, reconciles' and callers' of `fetch`, at most one
 * per chain and peer. A reconcile that finds one running for a peer it would
 * fetch from waits for it (and takes a reconcile's outcome as its own); a
 * fetch waits for it and then asks for what is still missing. Until
 * 2026-12-03 consensus's fetches went around it: a reconcile fetching the
 * same chain from the same peer meanwhile brought the same blocks, and the
 * later of the two was told the chain had moved on (a snapshot's fetch
 * failed; a probe). Until 2026-12-03 a reconcile opened a second
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
  async run (chainId: string, peer: PeerId, fetch: (onMoved: () => void) => Promise<FetchResult>, owner: FlightOwner = 'reconcile'): Promise<FetchOutcome> {
    const k = key(chainId, peer)
    if (this.flights.has(k)) throw new Error(`a fetch of ${chainId} from ${peer.toString()} is already running`)
    const flight = new Flight(fetch, owner)
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
