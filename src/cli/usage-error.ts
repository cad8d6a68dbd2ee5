/** Bad flags or values: the CLI prints one line and exits 2 (EXIT_USAGE). */
export class UsageError extends Error {
  static name = 'UsageError'
  constructor (message = 'Bad usage') {
    super(message)
    this.name = 'UsageError'
  }
}
