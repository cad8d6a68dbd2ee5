import { describe, it, expect } from 'vitest'
import { duplicateKey } from '../../../src/http/duplicate-keys.ts'

describe('duplicateKey', () => {
  it('finds a field named twice in one object, however its name is escaped', () => {
    expect(duplicateKey('{"a": 1, "b": 2, "a": 3}')).toBe('a')
    expect(duplicateKey('{"a": 1, "\\u0061": 2}')).toBe('a')
    expect(duplicateKey('{"x": [{"k": 1}, {"k": 2, "v": 1, "v" : 2}]}')).toBe('v')
    expect(duplicateKey('{"q\\"": 1, "q\\"": 2}')).toBe('q"')
  })

  it('takes the same name in other objects, and strings that only look like names', () => {
    expect(duplicateKey('{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}')).toBeUndefined()
    // a value holding quotes, colons and backslashes is no name
    expect(duplicateKey('{"a": "\\"a\\": 1", "b": "\\\\", "c": ["a", "a"], "d": "x:"}')).toBeUndefined()
    expect(duplicateKey('["a", "a", {"a": 1}]')).toBeUndefined()
    expect(duplicateKey('"a"')).toBeUndefined()
    expect(duplicateKey('{}')).toBeUndefined()
  })
})
