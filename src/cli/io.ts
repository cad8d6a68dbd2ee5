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
}

async function readAll (stream: NodeJS.ReadableStream): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

export function processIo (): CliIo {
  return {
    out: (line) => { process.stdout.write(line + '\n') },
    err: (line) => { process.stderr.write(line + '\n') },
    write: (bytes) => { process.stdout.write(bytes) },
    readStdin: async () => await readAll(process.stdin),
    stdoutIsTTY: process.stdout.isTTY === true
  }
}
