/**
 * The CLI's pin commands: pins, pin and unpin keep blocks of a chain held by
 * the node from retention (PUT/DELETE /chains/:id/pins/…, see routes-pins.ts).
 */
import { Option } from 'commander'
import type { Command } from 'commander'
import { segment } from './api-client.ts'
import type { ApiClient } from './api-client.ts'
import { chainOf, chainOption, clientCommand, clientOf, keySegment } from './data-commands.ts'
import type { ChainFlags } from './data-commands.ts'
import type { CliIo } from './io.ts'
import { UsageError } from './usage-error.ts'
import { shownName } from './stored-text.ts'
import { MAX_HEIGHT_TEXT } from '../http/max-height.ts'

type PinJson = { type: 'key', key: string } | { type: 'range', from: number, to: number }
interface PinsAnswer { chainId: string, pins: PinJson[], changed?: boolean, alreadyPruned?: number }
interface PinFlags extends ChainFlags { key?: string, heights?: string }

const describePin = (p: PinJson): string => p.type === 'key' ? `key ${shownName(p.key)}` : p.from === p.to ? `height ${p.from}` : `heights ${p.from}-${p.to}`

function printPins (io: CliIo, flags: ChainFlags, answer: PinsAnswer): void {
  if (flags.json) {
    io.out(JSON.stringify(answer))
    return
  }
  if (answer.pins.length === 0) io.out(`no pins in chain ${shownName(answer.chainId)}`)
  for (const p of answer.pins) io.out(describePin(p))
}

/** The pin a command names: one key or one range of heights. */
function pinPath (flags: PinFlags): string {
  if ((flags.key == null) === (flags.heights == null)) throw new UsageError('give --key KEY or --heights N[-M], one of them')
  if (flags.key != null) return `keys/${keySegment(flags.key)}`
  const heights = flags.heights as string
  // spaces around the numbers and the dash are taken, as every integer flag takes them (' 1' was refused where
  // `blocks --from ' 1'` was not: a probe, 2026-12-03); the numbers are the API's (routes-pins.ts), sent in its form
  const m = /^\s*(\d{1,15})\s*(?:-\s*(\d{1,15})\s*)?$/.exec(heights)
  const from = Number(m?.[1])
  const to = m?.[2] == null ? from : Number(m[2])
  // checked here, not by the node: a usage error says so before anything is asked (exit 2 either way)
  if (m == null || from < 1 || to < from) throw new UsageError(`--heights: N or N-M, integers with 1 ≤ from ≤ to ≤ ${MAX_HEIGHT_TEXT}, got ${JSON.stringify(heights)}`)
  return `heights/${m[2] == null ? from : `${from}-${to}`}`
}

function pinCommand (name: 'pin' | 'unpin', io: CliIo): Command {
  const doing = name === 'pin' ? 'keep them from retention' : 'let retention prune them again'
  return clientCommand(name, `${name} blocks of a chain held by the node: those that write a key, or a range of heights (${doing})`)
    .addOption(chainOption())
    .addOption(new Option('--key <key>', 'every block that writes this key'))
    .addOption(new Option('--heights <N[-M]>', 'a height or a range of heights'))
    .action(async (flags: PinFlags) => {
      const path = pinPath(flags)
      const api: ApiClient = clientOf(flags)
      const chain = await chainOf(api, flags)
      const answer = await api.request<PinsAnswer>({ method: name === 'pin' ? 'PUT' : 'DELETE', effect: 'repeatable', path: `/chains/${segment(chain)}/pins/${path}`, expect: { pins: 'array', 'pins[].type': 'string', chainId: 'string' } })
      if (!flags.json) io.err(answer.changed === true ? `${name === 'pin' ? 'pinned' : 'unpinned'} in chain ${shownName(answer.chainId)}` : `already ${name === 'pin' ? 'pinned' : 'not pinned'} in chain ${shownName(answer.chainId)}`)
      const pruned = answer.alreadyPruned ?? 0
      if (!flags.json && pruned > 0) io.err(`warning: ${pruned} of these blocks ${pruned === 1 ? 'was' : 'were'} pruned before: ${pruned === 1 ? 'its payload is' : 'their payloads are'} gone from this node (a pin keeps what is left)`)
      printPins(io, flags, answer)
    })
}

export function pinCommands (io: CliIo): Command[] {
  const pins = clientCommand('pins', 'list the pins of a chain held by the node (what retention never prunes)')
    .addOption(chainOption())
    .action(async (flags: ChainFlags) => {
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      printPins(io, flags, await api.request<PinsAnswer>({ path: `/chains/${segment(chain)}/pins`, expect: { pins: 'array', 'pins[].type': 'string', chainId: 'string' } }))
    })
  return [pins, pinCommand('pin', io), pinCommand('unpin', io)]
}
