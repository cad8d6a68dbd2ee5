/**
 * @libp2p/utils' length-prefixed and protobuf streams, with one fix: a write
 * waiting for the stream to take more bytes (a peer that stopped reading, a
 * link gone silent) rejects, when the stream ends under it, with the stream's
 * close event, not an Error. The callers' error handling read `name` and
 * `message` off it (undefined), and a transfer failed with "[object Event]".
 * Here the write throws the error the stream ended with, or a
 * StreamEndedError. In our code, not in patches/: a library user runs the
 * packages unpatched.
 */
import { lpStream as utilsLpStream, pbStream as utilsPbStream } from '@libp2p/utils'
import type { LengthPrefixedStream, LengthPrefixedStreamOpts, ProtobufStream, ProtobufStreamOpts } from '@libp2p/utils'
import type { MessageStream } from '@libp2p/interface'
import { StreamEndedError } from './errors.ts'

/** `err` as an Error: the error a stream's close event carries, or a StreamEndedError for one that carries none. */
export function asError (err: unknown): Error {
  if (err instanceof Error) return err
  if (err instanceof Event) {
    const cause = (err as Event & { error?: unknown }).error
    return cause instanceof Error ? cause : new StreamEndedError(`the stream ended (${err.type}) while a write waited for room`)
  }
  return new Error(String(err))
}

async function writing (write: Promise<void>): Promise<void> {
  try {
    await write
  } catch (err) {
    throw asError(err)
  }
}

export function lpStream<S extends MessageStream> (stream: S, opts?: Partial<LengthPrefixedStreamOpts>): LengthPrefixedStream<S> {
  const lp = utilsLpStream(stream, opts)
  return {
    read: lp.read.bind(lp),
    write: async (data, options) => { await writing(lp.write(data, options)) },
    writeV: async (input, options) => { await writing(lp.writeV(input, options)) },
    unwrap: lp.unwrap.bind(lp)
  }
}

export function pbStream<S extends MessageStream> (stream: S, opts?: Partial<ProtobufStreamOpts>): ProtobufStream<S> {
  const pbs = utilsPbStream(stream, opts)
  const wrapped: ProtobufStream<S> = {
    read: pbs.read.bind(pbs),
    write: async (data, proto, options) => { await writing(pbs.write(data, proto, options)) },
    writeV: async (input, proto, options) => { await writing(pbs.writeV(input, proto, options)) },
    pb: (proto) => ({
      read: async (options) => await wrapped.read(proto, options),
      write: async (data, options) => { await wrapped.write(data, proto, options) },
      writeV: async (input, options) => { await wrapped.writeV(input, proto, options) },
      unwrap: () => wrapped
    }),
    unwrap: pbs.unwrap.bind(pbs)
  }
  return wrapped
}
