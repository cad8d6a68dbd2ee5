import { describe, it, expect } from 'vitest'
import { WriteAttempts } from '../../../src/node/write-attempts.ts'

const PEER = '12D3KooWEuETk7hES42YJuq7u9unL1eDxf67Mur5YA43uv6JzT5Z'
const OTHER = '12D3KooWLJmvPzjZ3VToMbgjbgUTeyKachHPT9e19V1Bjy22wPUw'

describe('node - what the attempts of a shared-chain write heard', () => {
  it('says how many attempts at how many leaders, each kind of answer once with how often in a row, a peer id said again as "it"', () => {
    const a = new WriteAttempts()
    a.waited(new Error('the shared chain is electing a leader'))
    a.waited(new Error('the shared chain is electing a leader'))
    for (let i = 0; i < 3; i++) a.tried(PEER, new Error(`cannot reach ${PEER}, proposer of shared: no stream to ${PEER}: refused`))
    a.tried(OTHER, new Error(`no answer from ${OTHER}: timed out`), true)
    expect(a.toString()).toBe(`4 attempts at 2 leaders: the shared chain is electing a leader (×2); cannot reach ${PEER}, proposer of shared: no stream to it: refused (×3); ` +
      `no answer from ${OTHER}: timed out (cut off by the write's deadline)`)
    expect(new WriteAttempts().toString()).toBe('no leader to ask')
  })

  it('stays short however many attempts and answers: the first and the last kinds, the rest counted, each answer cut', () => {
    const a = new WriteAttempts()
    for (let i = 0; i < 500; i++) a.tried(i % 2 === 0 ? PEER : OTHER, new Error(`answer ${i} ${'x'.repeat(1_000)}`))
    const said = a.toString()
    expect(said).toMatch(/^500 attempts at 2 leaders: answer 0 x+…; answer 1 x+…; … 495 other answers …; answer 497 x+…; answer 498 x+…; answer 499 x+…$/)
    expect(said.length).toBeLessThan(1_200)
  })
})
