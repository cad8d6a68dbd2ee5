/**
 * A start that fails part way (a disk fault under consensus's value log)
 * undoes what it started, and a start after it, the fault gone, gives a node
 * that works: it commits writes and serves redirect reads (a review found the
 * retry resolved with writes that hung for good and reads that said the node
 * was stopped).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TestCluster } from '../utils/nodes.ts'

describe('node - a start after a failed one', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('undoes a start that failed in consensus, and a retry commits and serves reads', async () => {
    const dataDir = await cluster.tempDir()
    const first = await cluster.create({ dataDir })
    await first.start()
    // a value over 64 KiB: kept in consensus's value log, read back as the replica opens
    await first.put('a', new Uint8Array(300 * 1024).fill(7))
    await cluster.stopNode(first)

    // the value log's directory turned into a file: opening the own chain's replica fails
    const values = join(dataDir, 'paxos-values')
    const [dir] = await readdir(values)
    const aside = join(dataDir, 'moved-aside')
    await rename(join(values, dir), aside)
    await writeFile(join(values, dir), 'not a directory')

    const node = await cluster.create({ dataDir })
    await expect(node.start()).rejects.toThrow()
    expect(node.status).toBe('stopped')

    await rm(join(values, dir))
    await rename(aside, join(values, dir))
    await node.start()
    expect(node.status).toBe('started')
    const written = await node.put('b', new TextEncoder().encode('after the retry'), { timeout: 5_000 })
    expect(written.height).toBe(2)
    const read = await node.vguarddb.readKey(node.peerId.toString(), 'a')
    expect(read.servedBy).toBe(node.peerId.toString())
    expect(read.response.value).toEqual(new Uint8Array(300 * 1024).fill(7))
  })
})
