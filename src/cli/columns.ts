/**
 * Plain-text tables for the demo: each column as wide as its widest cell, so
 * a vehicle holding many copies does not push the columns after it out of
 * line. A row may be a note instead of cells: its first cell, then free text
 * (a stopped vehicle).
 */

export interface Column {
  title: string
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right'
}

export interface NoteRow {
  first: string
  note: string
}

export type Row = string[] | NoteRow

export function formatColumns (columns: Column[], rows: Row[], options: { rule?: boolean } = {}): string[] {
  const cellsOf = (r: Row): string[] => Array.isArray(r) ? r : [r.first]
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map(r => (cellsOf(r)[i] ?? '').length)))
  const line = (cells: string[]): string => cells
    .map((cell, i) => columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))
    .join('  ')
    .trimEnd()
  const out = [line(columns.map(c => c.title))]
  if (options.rule === true) out.push(widths.map(w => '-'.repeat(w)).join('  '))
  for (const r of rows) out.push(Array.isArray(r) ? line(r) : `${r.first.padEnd(widths[0])}  ${r.note}`)
  return out
}
