/**
 * Messages for a chain whose replica is still opening (its consensus state
 * read from disk, or an older replica of it retiring): held until it opens,
 * then stepped in order. Bounded per chain by count and by bytes: counted by
 * messages alone, 1,024 accepts of 4 MiB values each (past every other
 * budget, which counts only what a replica holds) could be held for a chain
 * whose opening waits (a review).
 */
import type { ChainMessage } from '../protocols/paxos/index.ts'
import type { Message, Value } from '../consensus/index.ts'

/** Messages held per opening chain. */
export const EARLY_MESSAGES = 1_024
/** Bytes of values held per opening chain: a few of the largest values, and many small ones. */
export const EARLY_BYTES = 16 * 1024 * 1024

/** What a message carries beyond its few fixed fields: its values' bytes. */
export function carriedBytes (message: Message): number {
  const size = (value: Value): number => value.kind === 'data' ? value.data.byteLength : 0
  switch (message.type) {
    case 'accept': return size(message.value)
    case 'promise':
    case 'decided': {
      let n = 0
      for (const e of message.entries) n += size(e.value)
      return n
    }
    default: return 0
  }
}

export class EarlyMessages {
  private readonly held = new Map<string, { messages: ChainMessage[], bytes: number }>()

  /** Holds `cm` for `chainId`, unless that chain's share is full (then it is dropped: Paxos retries what matters). */
  hold (chainId: string, cm: ChainMessage): boolean {
    const entry = this.held.get(chainId) ?? { messages: [], bytes: 0 }
    const bytes = carriedBytes(cm.message)
    if (entry.messages.length >= EARLY_MESSAGES || (entry.bytes + bytes > EARLY_BYTES && entry.messages.length > 0)) return false
    entry.messages.push(cm)
    entry.bytes += bytes
    this.held.set(chainId, entry)
    return true
  }

  /** The messages held for `chainId`, in the order they came; forgets them. */
  take (chainId: string): ChainMessage[] {
    const entry = this.held.get(chainId)
    this.held.delete(chainId)
    return entry?.messages ?? []
  }
}
