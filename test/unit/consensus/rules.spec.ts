import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { Scenario } from './utils/script.ts'

const dir = join(import.meta.dirname, '../../testdata/paxos')
const files = readdirSync(dir).filter(f => f.endsWith('.txt')).sort()

describe('consensus - paxos rules (test/testdata/paxos)', () => {
  it.each(files)('%s', (file) => {
    Scenario.runFile(join(dir, file))
  })
})
