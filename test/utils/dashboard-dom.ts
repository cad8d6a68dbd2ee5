/**
 * Runs the dashboard's script as a browser would, against a real node: a
 * minimal DOM (just what the script uses), `fetch` and `EventSource` on the
 * node's HTTP API. Enough to catch a script that throws or reads fields
 * /status does not have, or that hands text to the HTML parser (innerHTML
 * and its kin are recorded, `markup`); not a browser.
 */
import { Script, createContext } from 'node:vm'
import { SseReader } from './sse.ts'

export class FakeElement {
  textContent = ''
  className = ''
  children: FakeElement[] = []
  parent?: FakeElement

  /** `markup`: where what the script gives the HTML parser goes (a browser would parse it into elements). */
  constructor (readonly tag: string, private readonly markup: string[] = []) {}

  // read back as nothing: the page has no reason to read markup, only to write text
  get innerHTML (): string { return '' }
  set innerHTML (html: string) { this.markup.push(html) }
  get outerHTML (): string { return '' }
  set outerHTML (html: string) { this.markup.push(html) }
  insertAdjacentHTML (_where: string, html: string): void { this.markup.push(html) }

  get childElementCount (): number { return this.children.length }
  get lastChild (): FakeElement | undefined { return this.children[this.children.length - 1] }

  append (...nodes: FakeElement[]): void {
    for (const n of nodes) this.adopt(n)
    this.children.push(...nodes)
  }

  appendChild (node: FakeElement): FakeElement {
    this.append(node)
    return node
  }

  prepend (node: FakeElement): void {
    this.adopt(node)
    this.children.unshift(node)
  }

  replaceChildren (...nodes: FakeElement[]): void {
    this.children = []
    this.append(...nodes)
  }

  remove (): void {
    if (this.parent == null) return
    this.parent.children = this.parent.children.filter(c => c !== this)
    this.parent = undefined
  }

  /** The text a user would see in this element and everything under it. */
  text (): string {
    return [this.textContent, ...this.children.map(c => c.text())].filter(t => t !== '').join(' ')
  }

  private adopt (node: FakeElement): void {
    if (typeof node === 'string') throw new Error('the dashboard must build elements, not insert strings')
    node.remove()
    node.parent = this
  }
}

export interface DashboardRun {
  element: (id: string) => FakeElement
  /** Every string the script gave the HTML parser (innerHTML, outerHTML, insertAdjacentHTML, document.write). */
  markup: string[]
  /** Errors the script threw (also inside its timers and listeners). */
  errors: Error[]
  /**
   * A break and a reconnection, as a browser's EventSource makes them: each
   * stream is closed and opened again with Last-Event-ID, the last id it had
   * (the node then sends what was missed). `missed` runs in between.
   */
  reconnect: (missed?: () => Promise<void>) => Promise<void>
  /** Resolves once every event stream the page opened is open (its `open` event dispatched). */
  opened: () => Promise<void>
  stop: () => void
}

export interface DashboardOptions {
  /**
   * The page's clock (`Date.now()`, `new Date()`), for a test to move as it
   * likes; the real one without it. Its timers still run on real time.
   */
  clock?: () => number
}

export function runDashboard (script: string, baseUrl: string, options: DashboardOptions = {}): DashboardRun {
  const elements = new Map<string, FakeElement>()
  const markup: string[] = []
  const element = (id: string): FakeElement => {
    let e = elements.get(id)
    if (e == null) elements.set(id, e = new FakeElement('div', markup))
    return e
  }
  const errors: Error[] = []
  const timers = new Set<NodeJS.Timeout>()
  const streams: SseReader[] = []
  let stopped = false
  const guard = <A extends unknown[]>(fn: (...args: A) => unknown) => (...args: A): void => {
    try {
      const out = fn(...args)
      if (out instanceof Promise) out.catch((err: Error) => { errors.push(err) })
    } catch (err) {
      errors.push(err as Error)
    }
  }
  const sources: EventSource[] = []
  class EventSource {
    private readonly listeners = new Map<string, Array<(e: { type: string, data: string }) => void>>()
    private reader?: SseReader
    /** Resolves once the stream is open (a reconnection waits for it). */
    opened: Promise<void>
    constructor (private readonly path: string) {
      sources.push(this)
      this.opened = this.open({})
    }

    /** Closes the stream, as a break would (EventSource then dispatches `error`); reopen() opens it again the way EventSource does. */
    async break (): Promise<string | undefined> {
      await this.opened
      this.reader?.close()
      await this.reader?.done
      this.dispatch('error')
      return this.reader?.lastEventId
    }

    private dispatch (type: string, data = ''): void {
      for (const l of this.listeners.get(type) ?? []) guard(l)({ type, data })
    }

    reopen (lastEventId: string | undefined): void {
      this.opened = this.open(lastEventId != null ? { 'last-event-id': lastEventId } : {})
    }

    private async open (headers: Record<string, string>): Promise<void> {
      await SseReader.open(new URL(this.path, baseUrl).toString(), headers).then(reader => {
        this.reader = reader
        streams.push(reader)
        if (stopped) reader.close()
        // as EventSource does on each connection, before any of its messages
        this.dispatch('open')
        let delivered = 0
        const deliver = (): void => {
          for (; delivered < reader.messages.length; delivered++) {
            const m = reader.messages[delivered]
            this.dispatch(m.event, m.data)
          }
          if (!reader.ended && !stopped) setTimeout(deliver, 20)
        }
        deliver()
      }, (err: Error) => { errors.push(err) })
    }

    addEventListener (type: string, listener: (e: { type: string, data: string }) => void): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
    }
  }
  const clock = options.clock
  /** The page's Date when a test drives its clock: now is the clock's, a date given is itself. */
  class ClockDate extends Date {
    constructor (value?: number | string) {
      super(value ?? clock?.() ?? Date.now())
    }

    static now (): number {
      return clock?.() ?? Date.now()
    }
  }
  const context = createContext({
    ...(clock != null ? { Date: ClockDate } : {}),
    document: {
      getElementById: element,
      createElement: (tag: string) => new FakeElement(tag, markup),
      write: (...html: string[]) => { markup.push(html.join('')) },
      writeln: (...html: string[]) => { markup.push(html.join('') + '\n') }
    },
    fetch: async (path: string) => await fetch(new URL(path, baseUrl)),
    EventSource,
    setTimeout: (fn: () => void, ms: number) => {
      if (stopped) return
      const t = setTimeout(() => { timers.delete(t); guard(fn)() }, ms)
      timers.add(t)
    },
    console
  })
  guard(() => new Script(script, { filename: 'dashboard.js' }).runInContext(context))()
  return {
    element,
    markup,
    errors,
    reconnect: async (missed) => {
      const ids = await Promise.all(sources.map(async source => await source.break()))
      await missed?.()
      sources.forEach((source, i) => { source.reopen(ids[i]) })
      await Promise.all(sources.map(async source => await source.opened))
    },
    opened: async () => {
      await Promise.all(sources.map(async source => await source.opened))
    },
    stop: () => {
      stopped = true
      for (const t of timers) clearTimeout(t)
      for (const s of streams) s.close()
    }
  }
}
