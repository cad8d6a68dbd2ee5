/**
 * Dependencies point inward (docs/architecture.md, "Layers"): every import in
 * src is read with TypeScript's own scanner, and each folder may import only
 * the folders its layer lies on. The state machine and the chain format import
 * no network, disk or clock. A review found protocols importing the module
 * that assembles libp2p (src/node/libp2p.ts); this keeps such a turn from
 * coming back unnoticed.
 */
import { describe, it, expect } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'

const SRC = resolve(import.meta.dirname, '../../src')

/** The folders of src each folder may import, besides itself. */
const MAY_IMPORT: Record<string, string[]> = {
  // how a peer's text is shown (escaped, bounded): a leaf, so that every layer that shows such text shows it alike
  text: [],
  chain: [],
  consensus: [],
  storage: ['chain', 'consensus'],
  backup: ['chain', 'storage', 'text'],
  protocols: ['chain', 'backup', 'consensus', 'storage', 'text'],
  node: ['chain', 'backup', 'consensus', 'protocols', 'storage', 'text'],
  // the API renders blocks and tables, and a read's answer, as they are
  http: ['node', 'chain', 'backup', 'protocols', 'text'],
  swarm: [],
  workload: [],
  // it starts a node and its HTTP API, and is a client of that API; the demo runs a swarm
  cli: ['node', 'http', 'swarm', 'workload', 'text']
}

/** What the pure parts may take from outside the project: encoding and hashing, no I/O. */
const PURE_PACKAGES: Record<string, RegExp> = {
  consensus: /^$/,
  text: /^$/,
  chain: /^(node:crypto|node:buffer|protons-runtime|uint8arraylist|uint8arrays(\/.*)?)$/
}

/** A clock, a timer or chance inside the state machine would make its runs unrepeatable. */
const IMPURE_CALLS = /\b(Date\.now|new Date|setTimeout|setInterval|setImmediate|Math\.random|performance\.now|process\.)/

interface Import { file: string, specifier: string }

async function sourceFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await sourceFiles(path))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

async function importsOf (file: string): Promise<Import[]> {
  const text = await readFile(file, 'utf8')
  // static imports, re-exports and import() calls, as the compiler finds them (not in comments or strings)
  return ts.preProcessFile(text, true, true).importedFiles.map(f => ({ file, specifier: f.fileName }))
}

/** The folder of src a file lies in ('' for src/index.ts). */
function folderOf (file: string): string {
  const parts = relative(SRC, file).split(sep)
  return parts.length > 1 ? parts[0] : ''
}

/** Source without comments, to look for calls. */
function codeOf (text: string): string {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text)
  let code = ''
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind !== ts.SyntaxKind.SingleLineCommentTrivia && kind !== ts.SyntaxKind.MultiLineCommentTrivia) code += scanner.getTokenText()
  }
  return code
}

describe('layers', async () => {
  const files = await sourceFiles(SRC)
  const imports = (await Promise.all(files.map(importsOf))).flat()

  it('finds the imports it checks (the scanner reads this tree)', () => {
    expect(files.length).toBeGreaterThan(100)
    expect(imports.some(i => folderOf(i.file) === 'node' && i.specifier === '../protocols/agent.ts')).toBe(true)
    expect(Object.keys(MAY_IMPORT).sort()).toEqual(files.map(folderOf).filter((f, i, all) => f !== '' && all.indexOf(f) === i).sort())
  })

  it('each folder imports only the folders beneath it', () => {
    const outward: string[] = []
    for (const { file, specifier } of imports) {
      if (!specifier.startsWith('.')) continue
      const from = folderOf(file)
      const to = folderOf(resolve(dirname(file), specifier))
      if (from === '' || to === from) continue
      if (!MAY_IMPORT[from].includes(to)) outward.push(`${relative(SRC, file)} imports ${specifier} (${from} → ${to === '' ? 'src/index.ts' : to})`)
    }
    expect(outward).toEqual([])
  })

  it('the state machine and the chain format import no network, disk or clock', async () => {
    const impure: string[] = []
    for (const { file, specifier } of imports) {
      const allowed = PURE_PACKAGES[folderOf(file)]
      if (allowed == null || specifier.startsWith('.')) continue
      if (!allowed.test(specifier)) impure.push(`${relative(SRC, file)} imports ${specifier}`)
    }
    for (const file of files.filter(f => folderOf(f) === 'consensus')) {
      const call = codeOf(await readFile(file, 'utf8')).match(IMPURE_CALLS)
      if (call != null) impure.push(`${relative(SRC, file)} calls ${call[1]}`)
    }
    expect(impure).toEqual([])
  })
})
