/**
 * How much a bulk transfer may have in flight: about a second of its
 * throughput so far. Every byte in flight queues on the connection ahead of
 * whatever else the two vehicles say (Paxos frames, liveness pings); on a
 * slow link (a bandwidth probe: 4 Mbit/s of radio) a fixed 8 MiB was ~17 s
 * of queue. On a LAN or loopback a second of throughput is far above `max`.
 * Used by replicate's send window and sync's credit.
 */
export const WINDOW_SECONDS = 1

/** About WINDOW_SECONDS of `bytes` moved in `ms`, within [min, max]; `min` before anything moved. */
export function throughputWindow (bytes: number, ms: number, min: number, max: number): number {
  if (bytes <= 0) return Math.min(min, max)
  return Math.min(max, Math.max(min, Math.round(WINDOW_SECONDS * bytes * 1000 / Math.max(ms, 1))))
}
