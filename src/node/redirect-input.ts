/**
 * What a JavaScript caller hands a redirect read (node.vguarddb.readKey,
 * readBlock, readKeys) besides its chain and key, checked before anyone is
 * asked, as node.get checks its options: a misspelt `prefx` read every key of
 * the chain, a misspelt `vai` was ignored, a page given as null and a signal
 * that is no AbortSignal failed with a TypeError from inside (a probe,
 * 2026-12-03). null or undefined is no page, no options.
 */
import { InvalidReadError } from './consensus-errors.ts'
import { shownNumber, shownValue } from './config.ts'
import { MAX_KEYS_PER_READ } from '../protocols/read/index.ts'
import type { KeysPage, ReadOptions } from './redirect-reads.ts'

const PAGE_FIELDS: ReadonlySet<string> = new Set<keyof KeysPage>(['prefix', 'after', 'limit', 'values'])
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof ReadOptions>(['signal', 'via'])

/** @throws InvalidReadError */
export function checkKeysPage (page: unknown): KeysPage {
  if (page == null) return {}
  if (typeof page !== 'object') throw new InvalidReadError(`a page of keys is an object ({ ${[...PAGE_FIELDS].join(', ')} }), got ${typeof page}`)
  const unknown = Object.keys(page).find(field => !PAGE_FIELDS.has(field))
  if (unknown != null) throw new InvalidReadError(`unknown option ${JSON.stringify(unknown)} of a page of keys: it takes ${[...PAGE_FIELDS].join(', ')}`)
  const { limit } = page as KeysPage
  // the holders' check would show '1' as 1, as if 1 itself were refused
  if (limit !== undefined && typeof limit !== 'number') throw new InvalidReadError(`a page of keys holds 1 to ${MAX_KEYS_PER_READ}, got ${shownNumber(limit)}`)
  return page as KeysPage
}

/** @throws InvalidReadError */
export function checkRedirectOptions (options: unknown): ReadOptions {
  if (options == null) return {}
  if (typeof options !== 'object') throw new InvalidReadError(`a redirect read's options are an object ({ ${[...OPTION_NAMES].join(', ')} }), got ${typeof options}`)
  const unknown = Object.keys(options).find(option => !OPTION_NAMES.has(option))
  if (unknown != null) throw new InvalidReadError(`unknown redirect read option ${JSON.stringify(unknown)}: a redirect read takes ${[...OPTION_NAMES].join(', ')}`)
  const { signal } = options as ReadOptions
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidReadError(`signal: an AbortSignal, got ${shownValue(signal)} (${typeof signal})`)
  return options as ReadOptions
}
