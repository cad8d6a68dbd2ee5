/**
 * Which part of a request's head went over Node's limit (maxHeaderSize,
 * 16 KiB by default). The parser counts the request line with the headers
 * and says only HPE_HEADER_OVERFLOW, so a long URL was answered 431 "the
 * request headers are too large", which sent a client looking at headers it
 * never set (a probe, 2026-12-03). The parser reports a target once it has
 * read it whole (or the part of it in the packet), and stops there when the
 * limit is passed: the bytes since the last line start, in the packet it
 * refused, are then a method and a target. A target spread over packets
 * whose last holds no line start cannot be told from a header's value: that
 * one stays 431, whose message says the request line counts.
 */
import { maxHeaderSize } from 'node:http'

/** What the parser's error carries of the packet it refused (Node's clientError). */
export interface ParserError { rawPacket?: unknown, bytesParsed?: unknown }

/** How much a request's head may take: the request line and headers, together. */
export const HEAD_LIMIT_TEXT = `${Math.floor(maxHeaderSize / 1024)} KiB`

/** Whether a header overflow came while the parser read the request target, by the bytes it had parsed of the packet. */
export function overflowInTarget (err: ParserError): boolean {
  const packet = err.rawPacket
  const parsed = err.bytesParsed
  if (!Buffer.isBuffer(packet) || typeof parsed !== 'number') return false
  const before = packet.subarray(0, parsed)
  // a method (Node's parser takes only known ones: upper-case letters, '-'), one space, then a target with no space yet
  return /^[A-Z-]+ [^ \r\n]+$/.test(before.subarray(before.lastIndexOf(0x0a) + 1).toString('latin1'))
}
