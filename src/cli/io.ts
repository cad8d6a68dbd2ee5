/**
 * What the CLI reads and writes, so that commands never touch process.stdout
 * themselves: lines for people, raw bytes for values (a stored value may be
 * binary and must reach a pipe or a file exactly as stored).
 */
export interface CliIo {
  /** A line on stdout. */
  out: (line: string) => void
  /** A line on stderr. */
  err: (line: string) => void
  /** Bytes on stdout as they are. */
  write: (bytes: Uint8Array) => void
  /** All of stdin. */
  readStdin: () => Promise<Uint8Array<ArrayBuffer>>
  /** stdout is a terminal (a value then ends with a newline, so the prompt starts on a line of its own). */
  stdoutIsTTY: boolean
  /** Whoever read stdout has gone (`vguard-node blocks | head`): there is no point in writing more. */
  stdoutClosed: () => boolean
}

async function readAll (stream: NodeJS.ReadableStream): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

export function processIo (): CliIo {
  // a reader that goes away (`| head`) makes stdout fail with EPIPE: unhandled, that error
  // would crash the process, a running node (`start | …`) included, without a clean stop.
  // The output is dropped instead; a client command sees stdoutClosed and stops early.
  let closed = false
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    closed = true
  })
  const write = (data: string | Uint8Array): void => { if (!closed) process.stdout.write(data) }
  return {
    out: (line) => { write(line + '\n') },
    err: (line) => { process.stderr.write(line + '\n') },
    write,
    readStdin: async () => await readAll(process.stdin),
    stdoutIsTTY: process.stdout.isTTY === true,
    stdoutClosed: () => closed
  }
}
