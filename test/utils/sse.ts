/**
 * A Server-Sent Events client: the messages of one stream, in order. On
 * node:http with a connection of its own (no pool): closing it closes its
 * socket and nothing else. (fetch's pool dials a spare connection when a
 * streamed request is aborted, and that idle socket holds up the server's
 * close until the pool drops it, 4 s later.)
 */
import { request } from 'node:http'
import type { ClientRequest, IncomingMessage } from 'node:http'

export interface SseMessage { event: string, data: string, id?: string }

export class SseReader {
  readonly messages: SseMessage[] = []
  ended = false
  /** The last id the stream gave (EventSource sends it back as Last-Event-ID when it reconnects). */
  lastEventId?: string
  readonly done: Promise<void>
  private buffer = ''

  private constructor (private readonly req: ClientRequest, readonly response: IncomingMessage) {
    this.done = new Promise(resolve => {
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { this.take(chunk) })
      response.once('close', () => {
        this.ended = true
        resolve()
      })
    })
  }

  static async open (url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return await new Promise((resolve, reject) => {
      const req = request(url, { agent: false, headers }, (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(new Error(`GET ${url} answered ${String(res.statusCode)}`))
          return
        }
        resolve(new SseReader(req, res))
      })
      req.once('error', reject)
      req.end()
    })
  }

  header (name: string): string | undefined {
    const value = this.response.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }

  of (event: string): Array<Record<string, unknown>> {
    return this.messages.filter(m => m.event === event).map(m => JSON.parse(m.data) as Record<string, unknown>)
  }

  close (): void {
    this.req.destroy()
  }

  private take (chunk: string): void {
    this.buffer += chunk
    let end: number
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      const lines = block.split('\n').filter(l => !l.startsWith(':'))
      if (lines.length === 0) continue
      const event = lines.find(l => l.startsWith('event: '))?.slice(7) ?? 'message'
      const dataLines = lines.filter(l => l.startsWith('data: ')).map(l => l.slice(6))
      const id = lines.find(l => l.startsWith('id: '))?.slice(4)
      // as EventSource: an id sets the last event id, also in a block without data, which is no message
      if (id != null) this.lastEventId = id
      if (dataLines.length === 0) continue
      this.messages.push({ event, data: dataLines.join('\n'), ...(id != null ? { id } : {}) })
    }
  }
}
