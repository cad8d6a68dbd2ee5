/**
 * Choosing backups. Pure: randomness is passed in.
 *
 * V-Guard picks k backups at random among the booth's participants that have
 * room. Pure random choice spreads duty unevenly over a short run, so among
 * the candidates we prefer those holding the fewest bytes for others, and
 * break ties at random. Current active backups are kept first (whatever
 * free space they advertise: it excludes their copy): they already hold most
 * of the chain, so the transfer is incremental, and their own check at the
 * offer decides whether the rest fits.
 */
export interface Candidate {
  peerId: string
  /** Free capacity the peer advertised, in bytes (undefined: unknown, try it). */
  free?: number
  /** Bytes it holds for others, as far as we know (fairness). */
  load?: number
}

export interface SelectInit {
  candidates: Candidate[]
  /** The proposer itself: never its own backup. */
  self: string
  /** Bytes the chain needs on a backup. */
  chainBytes: number
  /** Backups that hold the chain now (kept when still eligible). */
  current?: string[]
  /** Returns a float in [0, 1). */
  random: () => number
}

/** Eligible candidates in the order to try them: current backups first, then least loaded, ties at random. */
export function rankBackupCandidates (init: SelectInit): string[] {
  const current = new Set(init.current ?? [])
  const seen = new Set<string>()
  const eligible = init.candidates.filter(c => {
    if (c.peerId === init.self || seen.has(c.peerId)) return false
    seen.add(c.peerId)
    // a current backup's advertised free space excludes the copy it holds:
    // it needs room only for the blocks it lacks, which its offer answer says
    return current.has(c.peerId) || c.free == null || c.free >= init.chainBytes
  })
  const keyed = eligible.map(c => ({ id: c.peerId, kept: current.has(c.peerId) ? 0 : 1, load: c.load ?? 0, tie: init.random() }))
  keyed.sort((a, b) => a.kept - b.kept || a.load - b.load || a.tie - b.tie)
  return keyed.map(k => k.id)
}
