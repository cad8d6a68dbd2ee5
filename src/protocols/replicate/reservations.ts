/**
 * Backup side: room set aside for transfers in flight. A backup serves
 * several proposers at once, and each offer is checked against the free
 * capacity; without a reservation every concurrent offer saw the same free
 * bytes and together they overfilled the node. An accepted offer reserves
 * what it may still write; the reservation shrinks as its blocks land in the
 * store (which then counts them as used) and what is left is released when
 * the transfer ends, however it ends.
 */

/** What one accepted transfer holds; see Reservations.reserve. */
export interface Reservation {
  /** Bytes still reserved (not yet written to the store). */
  readonly bytes: number
  /**
   * Takes `bytes` of the reservation for a frame about to be appended. A
   * frame beyond what is left is granted from free capacity nobody else
   * reserved, if there is enough. False: no room.
   */
  claim: (bytes: number) => Promise<boolean>
  /** Adds `bytes` at once, for room about to be freed for this transfer (its old copy, dropped on reset). */
  grow: (bytes: number) => void
  /** `bytes` of a claimed frame reached the store (or were not needed): the store counts them now. */
  written: (bytes: number) => void
  /** The transfer ended: what is left goes back. Idempotent. */
  release: () => void
}

export class Reservations {
  /** Bytes reserved by every transfer in flight and not yet written. */
  private reservedBytes = 0
  /** Ever growing total of bytes reserved; tells what was reserved while free capacity was being read. */
  private granted = 0
  private readonly freeCapacity: () => Promise<number>

  constructor (freeCapacity: () => Promise<number>) {
    this.freeCapacity = freeCapacity
  }

  get reserved (): number {
    return this.reservedBytes
  }

  /**
   * Free bytes no transfer has reserved. Conservative: the reservations are
   * read before free capacity (a reservation only shrinks once its bytes are
   * in the store, so a shrink meanwhile is already counted as used), and
   * whatever was reserved while free capacity was being read is taken off
   * too. That makes concurrent offers safe without a lock, provided the
   * caller acts on the figure in the same tick (see measure).
   */
  async unreserved (): Promise<number> {
    return (await this.measure())()
  }

  /**
   * Reads free capacity and returns what is unreserved of it as a function,
   * to be called with no await between it and the reservation it decides:
   * a returned number would reach the caller only a tick later, after
   * another offer's continuation may have reserved the same bytes.
   */
  private async measure (): Promise<() => number> {
    const reserved = this.reservedBytes
    const granted = this.granted
    const free = await this.freeCapacity()
    return () => Math.max(0, free - reserved - (this.granted - granted))
  }

  /**
   * Reserves `bytes` if that many are free and unreserved. Returns the
   * reservation, or only the free bytes there are (for the NO_CAPACITY
   * answer); `free` is read before reserving.
   */
  async reserve (bytes: number): Promise<{ reservation: Reservation, free: number } | { free: number }> {
    const unreserved = await this.measure()
    // no await between the check and the reservation: nothing else can take these bytes
    const free = unreserved()
    if (bytes > free) return { free }
    return { reservation: this.hold(bytes), free }
  }

  /**
   * A reservation of nothing that claims room frame by frame: for a writer
   * that cannot say up front how much it will write (a sync fetch of a copy).
   */
  open (): Reservation {
    return this.hold(0)
  }

  private add (bytes: number): void {
    this.reservedBytes += bytes
    this.granted += bytes
  }

  private hold (initial: number): Reservation {
    const registry = this
    let held = 0
    /** Bytes of `held` no frame has claimed yet. */
    let unclaimed = 0
    let released = false
    const grow = (bytes: number): void => {
      if (released || bytes <= 0) return
      registry.add(bytes)
      held += bytes
      unclaimed += bytes
    }
    const takeBack = (bytes: number): void => {
      const n = Math.min(Math.max(0, bytes), held)
      held -= n
      registry.reservedBytes -= n
    }
    grow(initial)
    return {
      get bytes () { return held },
      claim: async (bytes) => {
        if (released) return false
        if (bytes > unclaimed) {
          const more = bytes - unclaimed
          const unreserved = await registry.measure()
          if (released || more > unreserved()) return false
          grow(more)
        }
        unclaimed -= bytes
        return true
      },
      grow,
      written: (bytes) => { if (!released) takeBack(bytes) },
      release: () => {
        if (released) return
        takeBack(held)
        unclaimed = 0
        released = true
      }
    }
  }
}
