/**
 * A chain store that serves `change(block)` instead of its block at one
 * height, through every read a responder may use: blocks, records (one
 * BlockRecord each) and runs (entries back to back). What a peer that forges
 * a block looks like from the other end of the wire.
 */
import { decodeBlock, encodeBlock } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import type { ChainStore, RecordRun } from '../../src/storage/index.ts'
import { entryOffsets, entryRecord, entrySize, writeEntry } from '../../src/storage/records.ts'

function entry (record: Uint8Array): Uint8Array {
  const out = new Uint8Array(entrySize(record.byteLength))
  writeEntry(out, 0, record)
  return out
}

function changeRun (run: RecordRun, height: number, change: (b: Block) => Block): RecordRun {
  if (height < run.from || height > run.to) return run
  const offsets = entryOffsets(run.bytes)
  const entries = offsets.map((at, i) => {
    const bytes = run.bytes.subarray(at, offsets[i + 1] ?? run.bytes.byteLength)
    const block = decodeBlock(entryRecord(bytes))
    return block.header.height === height ? entry(encodeBlock(change(block))) : bytes
  })
  const out = new Uint8Array(entries.reduce((n, e) => n + e.byteLength, 0))
  let pos = 0
  for (const e of entries) {
    out.set(e, pos)
    pos += e.byteLength
  }
  return { ...run, bytes: out }
}

export function lyingStore (inner: ChainStore, height: number, change: (b: Block) => Block): ChainStore {
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'blocks') {
        return async function * (chainId: string, options?: Parameters<ChainStore['blocks']>[1]) {
          for await (const b of target.blocks(chainId, options)) yield b.header.height === height ? change(b) : b
        }
      }
      if (prop === 'records') {
        return async function * (chainId: string, options?: Parameters<ChainStore['records']>[1]) {
          for await (const r of target.records(chainId, options)) {
            yield r.height === height ? { ...r, record: encodeBlock(change(decodeBlock(r.record))) } : r
          }
        }
      }
      if (prop === 'runs') {
        return async function * (chainId: string, options: Parameters<ChainStore['runs']>[1]) {
          for await (const run of target.runs(chainId, options)) yield changeRun(run, height, change)
        }
      }
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}
