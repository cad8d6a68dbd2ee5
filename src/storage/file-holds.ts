/**
 * Which chain directories of segment files (segments.ts) have reads under
 * way, for the LevelDB chain store (level.ts): a segment that dies under a
 * read (every block of it below the retention watermark) loses its file only
 * once the reads of its directory end.
 */
import type { Segments } from './segments.ts'

export class FileHolds {
  /** Reads under way per chain directory (fileId): a dead segment's file outlives them (see dead-segments.ts). */
  private readonly readers = new Map<number, number>()
  /** Dead segments whose file waits for the reads of its directory to end. */
  private readonly doomed = new Map<number, number[]>()

  constructor (private readonly segments: Segments) {}

  /** Holds the directory's files for a read (none if the chain has no directory); returns what to release. */
  hold (fileId: number | undefined): number | undefined {
    if (fileId != null) this.readers.set(fileId, (this.readers.get(fileId) ?? 0) + 1)
    return fileId
  }

  /** Ends a read's hold; the last one deletes the files of the segments that died meanwhile. */
  async release (fileId: number | undefined): Promise<void> {
    if (fileId == null) return
    const left = (this.readers.get(fileId) ?? 1) - 1
    if (left > 0) {
      this.readers.set(fileId, left)
      return
    }
    this.readers.delete(fileId)
    const segments = this.doomed.get(fileId) ?? []
    this.doomed.delete(fileId)
    for (const segment of segments) await this.segments.remove(fileId, segment).catch(() => {})
  }

  /** Deletes a dead segment's file now, or once the reads of its directory end. */
  async remove (fileId: number, segment: number): Promise<void> {
    if ((this.readers.get(fileId) ?? 0) > 0) this.doomed.set(fileId, [...this.doomed.get(fileId) ?? [], segment])
    else await this.segments.remove(fileId, segment)
  }
}
