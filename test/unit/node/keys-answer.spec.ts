import { describe, it, expect } from 'vitest'
import { ReadRequest, ReadResponse, readRequest, readResponse } from '../../../src/protocols/read/index.ts'
import type { KeyEntry } from '../../../src/protocols/read/index.ts'
import { checkedKeysAnswer } from '../../../src/node/keys-answer.ts'

const utf8 = new TextEncoder()
const entry = (key: string, value = key): KeyEntry => ({ key, value: utf8.encode(value) as Uint8Array<ArrayBuffer>, height: 1, pruned: false })

describe('node - a page of keys a holder answers', () => {
  const request = readRequest({ kind: ReadRequest.Kind.KEYS, chainId: 'vehicle-a', prefix: 'gps/', after: 'gps/1', limit: 3 })

  it('passes the keys asked for, in order, and answers of other kinds or statuses as they are', () => {
    const ok = readResponse({ entries: [entry('gps/2'), entry('gps/3'), entry('gps/é')], more: true, height: 5 })
    expect(checkedKeysAnswer(request, ok)).toBe(ok)
    const empty = readResponse({ entries: [] })
    expect(checkedKeysAnswer(request, empty)).toBe(empty)
    const key = readRequest({ kind: ReadRequest.Kind.KEY, chainId: 'vehicle-a', key: 'k' })
    const odd = readResponse({ entries: [entry('x')] })
    expect(checkedKeysAnswer(key, odd)).toBe(odd)
    const redirect = readResponse({ status: ReadResponse.Status.REDIRECT, entries: [entry('x')] })
    expect(checkedKeysAnswer(request, redirect)).toBe(redirect)
  })

  it('turns a page that does not answer the request into an error saying why, with no keys', () => {
    const cases: Array<[KeyEntry[], boolean, RegExp]> = [
      [[entry('gps/2'), entry('gps/3'), entry('gps/4'), entry('gps/5')], false, /4 keys, 3 asked for at most/],
      [[], true, /more keys said to follow an empty page/],
      [[entry('car/1')], false, /key "car\/1" is not under the prefix "gps\/"/],
      [[entry('gps/1')], false, /key "gps\/1" is out of order/],
      [[entry('gps/3'), entry('gps/2')], false, /key "gps\/2" is out of order/],
      [[entry('gps/2'), entry('gps/2')], false, /key "gps\/2" is out of order/],
      [[{ ...entry('gps/2'), pruned: true }], false, /key "gps\/2" carries a value it says it has not/],
      // keys no write stores: an empty one with more to follow had the reader ask for the same page for good (a review)
      [[entry('gps/2'), entry('gps/' + 'x'.repeat(1_100))], true, /"gps\/x+": key longer than 1024 bytes/],
      // a height the holder's own chain height contradicts (a made-up one was served as it stood: a review)
      [[{ ...entry('gps/2'), height: 9 }], false, /key "gps\/2" written at height 9 of a chain held up to 5/],
      [[{ ...entry('gps/2'), height: 0 }], false, /key "gps\/2" written at height 0 of a chain held up to 5/]
    ]
    for (const [entries, more, why] of cases) {
      const checked = checkedKeysAnswer(request, readResponse({ entries, more, height: 5 }))
      expect(checked.status, String(why)).toBe(ReadResponse.Status.ERROR)
      expect(checked.message, String(why)).toMatch(why)
      expect(checked.entries).toEqual([])
    }
    const first = readRequest({ kind: ReadRequest.Kind.KEYS, chainId: 'vehicle-a', limit: 3 })
    expect(checkedKeysAnswer(first, readResponse({ entries: [entry('')], more: true })).message).toMatch(/"": key must be a non-empty string/)
    // keys only: no values
    const keysOnly = { ...request, keysOnly: true }
    expect(checkedKeysAnswer(keysOnly, readResponse({ entries: [entry('gps/2')] })).message).toMatch(/carries a value/)
    expect(checkedKeysAnswer(keysOnly, readResponse({ entries: [entry('gps/2', '')], height: 5 })).status).toBe(ReadResponse.Status.OK)
  })
})
