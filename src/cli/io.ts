/**
 * What the CLI reads and writes, so that commands never touch process.stdout
 * themselves: lines for people, raw bytes for values (a stored value may be
 * binary and must reach a pipe or a file exactly as stored).
 */
import { fstatSync, readFileSync, statSync } from 'node:fs'
import { isatty } from 'node:tty'

export interface CliIo {
  /** A line on stdout. */
  out: (line: string) => void
  /** A line on stderr. */
  err: (line: string) => void
  /** Bytes on stdout as they are. */
  write: (bytes: Uint8Array) => void
  /** All of stdin, or its first `maxBytes` + 1 bytes when it has more (the rest is not read); rejects when stdin is no stream of bytes (a directory). */
  readStdin: (maxBytes: number) => Promise<Uint8Array<ArrayBuffer>>
  /** stdout is a terminal (a value then ends with a newline, so the prompt starts on a line of its own). */
  stdoutIsTTY: boolean
  /** Whoever read stdout has gone (`vguard-node blocks | head`), or it failed: there is no point in writing more. */
  stdoutClosed: () => boolean
  /** Why stdout failed, other than its reader going away (a full disk under a redirect): the output is incomplete. Waits for what was written to be taken. */
  stdoutFailure: () => Promise<Error | undefined>
}

/** A stream's bytes, or its first `maxBytes` + 1 when it has more (the rest is not read). */
export async function readUpTo (stream: NodeJS.ReadableStream, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    chunks.push(bytes)
    size += bytes.byteLength
    // enough to know it is too much: `< /dev/zero` must not fill the memory
    if (size > maxBytes) break
  }
  return Buffer.concat(chunks).subarray(0, maxBytes + 1)
}

/**
 * Whether stdin was closed when the process started. Node opens /dev/null in its place, read and write (a shell's
 * `< /dev/null` and a spawn's ignored stdin open it read-only): only Linux's /proc says how it was opened; elsewhere,
 * or without /proc, it reads as the empty value it did before.
 */
function stdinWasClosed (): boolean {
  let flags: string | undefined
  try {
    if (fstatSync(0).rdev !== statSync('/dev/null').rdev) return false
    flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/0', 'utf8'))?.[1]
  } catch {
    return false
  }
  // O_ACCMODE: O_RDWR is 2
  return flags != null && (parseInt(flags, 8) & 3) === 2
}

/**
 * @param options.warnOnStdoutFailure say on stderr, once, that stdout failed and output is dropped
 * (a node's log; a client command fails instead, see stdoutFailure)
 */
export function processIo (options: { warnOnStdoutFailure?: boolean } = {}): CliIo {
  // a reader that goes away (`| head`) makes stdout fail with EPIPE, a full disk under a
  // redirect with ENOSPC: unhandled, that error would crash the process, a running node
  // (`start > log`) included, without a clean stop. The output is dropped instead; a client
  // command sees stdoutClosed and stops early, and fails if it was not EPIPE (stdoutFailure).
  let closed = false
  let failure: Error | undefined
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    closed = true
    if (err.code === 'EPIPE' || failure != null) return
    failure = err
    if (options.warnOnStdoutFailure === true) writeErr(`warning: cannot write to stdout (${err.message}): its output is dropped from here on\n`)
  })
  // stderr fails the same ways (`start >> log 2>&1` on a full disk, `2>&1 | head`), and its error, unhandled, killed the
  // process too: a node at its first line, stdout's warning being the write that failed (a probe, 2026-12-03). Where its
  // lines would go is gone: they are dropped, and the exit code says what it would have
  let stderrClosed = false
  process.stderr.on('error', () => { stderrClosed = true })
  function writeErr (text: string): void { if (!stderrClosed) process.stderr.write(text) }
  const write = (data: string | Uint8Array): void => { if (!closed) process.stdout.write(data) }
  return {
    out: (line) => { write(line + '\n') },
    err: (line) => { writeErr(line + '\n') },
    write,
    readStdin: async (maxBytes) => {
      // a directory on stdin (`< DIR`) is a handle Node does not know: process.stdin gave it as an empty stream, and
      // `put k --file - < DIR` committed an empty value (a probe, 2026-12-03)
      if (fstatSync(0).isDirectory()) throw new Error('stdin is a directory, not a file')
      // a closed stdin (`<&-`) and a terminal hold no value given: the first read as empty and an empty value was
      // committed, the second waited for typing ended by Ctrl-D (a probe, 2026-12-03). An empty pipe is an empty value
      if (stdinWasClosed()) throw new Error('stdin is closed: no value to read (an empty value is \'\')')
      if (isatty(0)) throw new Error('stdin is a terminal: pipe the value in (… | vguard-node put KEY --file -), or give it as an argument')
      return await readUpTo(process.stdin, maxBytes)
    },
    stdoutIsTTY: process.stdout.isTTY === true,
    stdoutClosed: () => closed,
    stdoutFailure: async () => {
      // a write's failure is told after the write returns: wait for the last one to settle
      if (!closed) await new Promise<void>((resolve) => { process.stdout.write('', () => { setImmediate(resolve) }) })
      return failure
    }
  }
}
