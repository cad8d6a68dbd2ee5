export interface TriedHolder {
  peerId: string
  outcome: string
  error?: string
}

/** No holder of the chain could be reached or answered; lists whom the read tried. */
export class NoHolderReachableError extends Error {
  static name = 'NoHolderReachableError'
  readonly tried: TriedHolder[]
  constructor (message = 'No holder of the chain could serve the read', tried: TriedHolder[] = []) {
    super(message)
    this.name = 'NoHolderReachableError'
    this.tried = tried
  }
}
