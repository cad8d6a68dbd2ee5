/**
 * Mutations of valid protobuf messages for the protocol fuzz tests: fields
 * set to values at the edges of their kind, bits flipped, bytes cut short,
 * padded, spliced or replaced. All randomness comes from the PRNG passed in,
 * so a seed replays a run.
 */
export type Random = () => number
export type Json = Record<string, unknown>

export interface Codec<T> {
  encode: (value: T) => Uint8Array
  decode: (bytes: Uint8Array) => T
}

export const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]

export function randomBytes (random: Random, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256)
  return out
}

/** Numbers and strings at the edges of what a field may hold. */
export function extremes (peers: string[]): { numbers: number[], strings: string[] } {
  return {
    numbers: [0, 1, 2, 255, 65_536, 2 ** 31, 2 ** 32 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER],
    strings: ['', 'shared', ...peers, 'x'.repeat(300), '\u0000/../é', `12D3KooW${'1'.repeat(44)}`, 'OK', 'BLOCKS', 'INVALID']
  }
}

/** One field of a message (at any depth) set to another value of its kind. */
export function mutateValue (value: unknown, random: Random, peers: string[]): unknown {
  const { numbers, strings } = extremes(peers)
  if (typeof value === 'number') return random() < 0.2 ? value + pick(random, [-1, 1]) : pick(random, numbers)
  if (typeof value === 'string') return pick(random, strings)
  if (typeof value === 'boolean') return !value
  if (value instanceof Uint8Array) {
    return pick(random, [new Uint8Array(), randomBytes(random, 32), mutateBytes(value, random), randomBytes(random, 70_000)])
  }
  if (Array.isArray(value)) {
    return pick(random, [[], value.slice(1), [...value, ...value], value.map(v => random() < 0.5 ? mutateValue(v, random, peers) : v)])
  }
  if (typeof value === 'object' && value != null) return mutateObject(value as Json, random, peers)
  return value
}

export function mutateObject (message: Json, random: Random, peers: string[]): Json {
  const keys = Object.keys(message)
  if (keys.length === 0) return message
  const key = pick(random, keys)
  return { ...message, [key]: mutateValue(message[key], random, peers) }
}

/** Bits flipped, cut short, padded, spliced, or replaced whole. */
export function mutateBytes (bytes: Uint8Array, random: Random): Uint8Array {
  const out = Uint8Array.from(bytes)
  const at = Math.floor(random() * (out.length + 1))
  switch (Math.floor(random() * 5)) {
    case 0:
      for (let n = 1 + Math.floor(random() * 4); n > 0 && out.length > 0; n--) out[Math.floor(random() * out.length)] ^= 1 << Math.floor(random() * 8)
      return out
    case 1: return out.subarray(0, at)
    case 2: return new Uint8Array([...out, ...randomBytes(random, 1 + Math.floor(random() * 32))])
    case 3: return new Uint8Array([...out.subarray(0, at), ...randomBytes(random, 1 + Math.floor(random() * 16)), ...out.subarray(at)])
    default: return randomBytes(random, Math.floor(random() * 64))
  }
}

export function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/**
 * One of `seeds` mutated: a field changed (when it still encodes) or its
 * bytes changed. `byteMutations` false: only fields, to values from a fixed
 * list (addresses a receiver may dial: flipped bits could turn 127.0.0.1
 * into an address off this machine).
 */
export function mutatedFrame (codec: Codec<any>, seeds: Json[], random: Random, peers: string[], byteMutations = true): Uint8Array {
  const seed = pick(random, seeds)
  if (!byteMutations || random() < 0.5) {
    try {
      return codec.encode(mutateObject(seed, random, peers))
    } catch {
      // a value its codec cannot write (an unknown enum name, say): change the bytes instead
    }
  }
  return mutateBytes(codec.encode(seed), random)
}
