/**
 * The demo's text tables: every column as wide as its widest cell, numbers
 * right-aligned, a note row after its first cell. A vehicle holding many
 * copies used to push the columns after it out of line.
 */
import { describe, it, expect } from 'vitest'
import { formatColumns } from '../../../src/cli/columns.ts'

describe('cli - demo table columns', () => {
  const columns = [{ title: 'vehicle' }, { title: 'holds copies of' }, { title: 'held', align: 'right' as const }]

  it('widens a column to its longest cell and keeps the columns after it in line', () => {
    const lines = formatColumns(columns, [
      ['vehicle-1', 'vehicle-2@59', '59.0 KiB'],
      ['vehicle-2', 'vehicle-4@59 vehicle-5@58 vehicle-3@23 vehicle-1@59', '199.5 KiB']
    ], { rule: true })
    expect(lines).toEqual([
      'vehicle    holds copies of                                           held',
      '---------  ---------------------------------------------------  ---------',
      'vehicle-1  vehicle-2@59                                          59.0 KiB',
      'vehicle-2  vehicle-4@59 vehicle-5@58 vehicle-3@23 vehicle-1@59  199.5 KiB'
    ])
  })

  it('prints a note after the first cell, and no rule unless asked', () => {
    const lines = formatColumns(columns, [['vehicle-10', '', '0 B'], { first: 'vehicle-3', note: '(stopped)' }])
    expect(lines).toEqual([
      'vehicle     holds copies of  held',
      'vehicle-10                    0 B',
      'vehicle-3   (stopped)'
    ])
  })
})
