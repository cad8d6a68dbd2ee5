/**
 * The asking side of PreVote: which members of the booth said they would
 * promise our prospective ballot. See candidacy.ts startPreVote for why.
 */
import { hasMajority } from './booth.ts'
import type { Ballot } from './types.ts'

export class PreVote {
  readonly ballot: Ballot
  private readonly self: string
  private readonly grants = new Set<string>()

  /** The live leader a takeover asks to replace (candidacy.ts mayTakeOver); undefined after a timeout. */
  readonly challenging?: string

  /** We would promise our own ballot: it is above anything we promised. */
  constructor (ballot: Ballot, self: string, challenging?: string) {
    this.ballot = ballot
    this.self = self
    this.challenging = challenging
    this.grants.add(self)
  }

  grant (from: string): void {
    this.grants.add(from)
  }

  won (booth: readonly string[]): boolean {
    return hasMajority(booth, this.grants)
  }

  /** Members of `booth` to ask (again): those that have not granted. */
  waiting (booth: readonly string[]): string[] {
    return booth.filter(m => m !== this.self && !this.grants.has(m))
  }
}
