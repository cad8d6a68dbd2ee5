import { defaultLogger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A logged message: its format string and arguments, unformatted (libp2p's %p and %a are not util.format's). */
export interface LoggedMessage {
  component: string
  format: string
  args: unknown[]
}

/**
 * A node's logger that also keeps what its components whose name starts
 * with `prefix` log (debug output goes on as usual): for a test to wait on
 * something only the logs show, instead of sleeping past it.
 */
export function capturingLogger (prefix: string): { logger: ComponentLogger, messages: LoggedMessage[] } {
  const messages: LoggedMessage[] = []
  const base = defaultLogger()
  const wrap = (component: string, log: Logger): Logger => {
    const captured = (format: unknown, ...args: unknown[]): void => {
      messages.push({ component, format: String(format), args })
      log(format, ...args)
    }
    return Object.assign(captured, {
      error: log.error,
      trace: log.trace,
      enabled: log.enabled,
      newScope: (name: string) => wrap(`${component}:${name}`, log.newScope(name))
    })
  }
  const logger: ComponentLogger = {
    forComponent: (component: string) => {
      const log = base.forComponent(component)
      return component.startsWith(prefix) ? wrap(component, log) : log
    }
  }
  return { logger, messages }
}
