/**
 * PaxosFrame bytes assembled from messages encoded once.
 *
 * A leader sends the same accept (a value of up to 4 MiB) to every member of
 * a booth, and pushes the same decided values to every learner: `from` and
 * `to` stay off the wire, so those messages are byte for byte the same for
 * every peer. PaxosFrame.encode would copy each value into every peer's
 * frame (twice: protons' writer, then its final buffer), which was ~2 ms of
 * the leader's CPU per MiB and per peer when it committed 1 MiB blocks. Here
 * each message is encoded once and a frame is a list of slices: the field
 * headers protons would write, and the shared message bytes.
 *
 * The bytes are exactly PaxosFrame.encode's (hello, field 1, first; then the
 * messages, field 2), so receivers decode them with PaxosFrame.decode.
 *
 * A small frame is then copied into one buffer with its length prefix: every
 * slice handed to the stream became a separate write to the socket (yamux
 * adds its header, noise encrypts slice by slice and the TCP transport writes
 * each piece on its own), so a 1 KiB accept took six write calls.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { varintLength, writeVarint } from '../../chain/index.ts'
import { Hello, PaxosMessage } from './pb/paxos.ts'
import { toWire } from './messages.ts'
import type { ChainMessage } from './messages.ts'

/** Field 1 (hello) and field 2 (messages) of PaxosFrame, both length-delimited (wire type 2). */
const HELLO_TAG = (1 << 3) | 2
const MESSAGE_TAG = (2 << 3) | 2

/** One message's wire bytes: what PaxosFrame.encode writes for it, without the field header. */
export function encodeWireMessage (cm: ChainMessage): Uint8Array {
  return PaxosMessage.encode(toWire(cm))
}

function fieldHeader (tag: number, length: number): Uint8Array {
  const header = new Uint8Array(1 + varintLength(length))
  header[0] = tag
  writeVarint(header, 1, length)
  return header
}

/** The bytes of PaxosFrame.encode({ hello, messages }) for messages already encoded; nothing is copied. */
export function frameBytes (messages: Uint8Array[], hello?: Hello): Uint8ArrayList {
  const frame = new Uint8ArrayList()
  if (hello != null) {
    const bytes = Hello.encode(hello)
    frame.append(fieldHeader(HELLO_TAG, bytes.byteLength), bytes)
  }
  for (const m of messages) frame.append(fieldHeader(MESSAGE_TAG, m.byteLength), m)
  return frame
}

/** Frames up to this size are sent as one buffer (a copy); bigger ones as slices (no copy). */
const COPY_BELOW = 64 * 1024

/** The frame with its varint length prefix, as the stream carries it (what lpStream's write sends). */
export function lengthPrefixed (frame: Uint8ArrayList): Uint8Array | Uint8ArrayList {
  const length = frame.byteLength
  const prefix = varintLength(length)
  if (length >= COPY_BELOW) {
    const header = new Uint8Array(prefix)
    writeVarint(header, 0, length)
    frame.prepend(header)
    return frame
  }
  const out = new Uint8Array(prefix + length)
  let pos = writeVarint(out, 0, length)
  for (const chunk of frame) {
    out.set(chunk, pos)
    pos += chunk.byteLength
  }
  return out
}
