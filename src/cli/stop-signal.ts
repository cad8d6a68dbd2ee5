/**
 * Resolves with the first SIGINT or SIGTERM. It goes on listening until
 * dispose(): a signal sent to a process group (npm, timeout, a service
 * manager) can come twice, and the second must not kill the node while it
 * stops with its database open; `again` is told of each repeat.
 */
export function onStopSignal (again: (signal: string) => void): { signal: Promise<string>, dispose: () => void } {
  let dispose = (): void => {}
  let first: string | undefined
  const signal = new Promise<string>((resolve) => {
    const on = (name: string) => (): void => {
      if (first != null) { again(name); return }
      first = name
      resolve(name)
    }
    const onInt = on('SIGINT')
    const onTerm = on('SIGTERM')
    dispose = () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  return { signal, dispose }
}
