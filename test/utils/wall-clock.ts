import { vi } from 'vitest'

/**
 * Date.now() answers the real time plus what the returned function sets, as
 * in a process whose wall clock steps (NTP, GPS time after a cold start).
 * vi.restoreAllMocks() puts the real clock back.
 */
export function steppingWallClock (): (offset: number) => void {
  const real = Date.now.bind(Date)
  let offset = 0
  vi.spyOn(Date, 'now').mockImplementation(() => real() + offset)
  return (to) => { offset = to }
}
