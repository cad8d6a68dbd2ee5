/**
 * HTTP/1.1 spoken by hand over a TCP socket: for what fetch cannot send or
 * cannot show (framing, Expect, what comes back before a body is sent).
 */
import { connect } from 'node:net'

export interface RawAnswer { status: number, headers: string, body: string }

/** Sends `request` on a fresh connection and returns everything the server wrote until it closed. */
export async function raw (url: string, request: string | Buffer): Promise<string> {
  const { port, hostname } = new URL(url)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.write(request) })
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
    socket.on('close', () => { resolve(text) })
    socket.on('error', reject)
  })
}

/** One answer's status, its head lower-cased, and its body. */
export function parseAnswer (answer: string): RawAnswer {
  const end = answer.indexOf('\r\n\r\n')
  const head = answer.slice(0, end)
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers: head.toLowerCase(), body: answer.slice(end + 4) }
}
