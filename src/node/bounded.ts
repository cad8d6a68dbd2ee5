/**
 * Maps fed by what peers say: each keeps at most a fixed number of entries,
 * the one set longest ago going first, so no peer can grow it for ever.
 */

/** Sets `key` as the newest entry of `map`, dropping the oldest beyond `max`. */
export function setBounded<K, V> (map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > max) map.delete(map.keys().next().value as K)
}
