/**
 * The live dashboard: one self-contained page (no build step, no assets, no
 * requests beyond this node's own `/status` and `/events`). Every value that
 * comes from the network (chain ids, peer ids, event details) is written with
 * textContent, never parsed as HTML.
 */

const STYLE = `
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f6f7f9 }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem } h2 { font-size: 1rem; margin: 1.5rem 0 .5rem }
  .sub { color: #5b6575; font-family: ui-monospace, monospace; word-break: break-all }
  .cards { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: .6rem .9rem; min-width: 9rem }
  .card b { display: block; font-size: 1.3rem } .card span { color: #5b6575; font-size: .8rem }
  table { border-collapse: collapse; background: #fff; width: 100% }
  th, td { border: 1px solid #dde1e7; padding: .3rem .5rem; text-align: left; font-size: .85rem }
  td.mono, #log { font-family: ui-monospace, monospace }
  #log { background: #fff; border: 1px solid #dde1e7; height: 18rem; overflow-y: auto; padding: .4rem; font-size: .8rem; white-space: pre-wrap }
  .bad { color: #b42318 } .ok { color: #067647 }
`

// plain ES2020 for the browser; no template literals here (this file is one)
const SCRIPT = `
'use strict'
const $ = (id) => document.getElementById(id)
const short = (id) => id == null ? '-' : (id.length > 16 ? '…' + id.slice(-8) : id)
const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'
const commits = []
const latencies = []
let self = null
// events the node sends next that happened while this page was away (events:missed): logged, not counted as now
let missed = 0
// since when the event stream has been open (null while it is not): what txs/s can count over
let watchingSince = null

function cell (tr, text, cls) {
  const td = document.createElement('td')
  td.textContent = text
  if (cls) td.className = cls
  tr.appendChild(td)
}

function card (label, value) {
  const div = document.createElement('div')
  div.className = 'card'
  const b = document.createElement('b')
  b.textContent = value
  const span = document.createElement('span')
  span.textContent = label
  div.append(b, span)
  return div
}

// over the last 10 s, or since the stream (re)opened if that is less (at least 1 s: one commit heard in
// the first instant is no thousand per second); divided by 10 s whatever the page had watched, the first
// 10 s after a load or a reconnection read low (a review, 2026-12-03)
function rate () {
  const now = Date.now()
  const start = watchingSince == null ? now : Math.max(now - 10000, watchingSince)
  while (commits.length > 0 && commits[0].at < start) commits.shift()
  while (latencies.length > 200) latencies.shift()
  const txs = commits.reduce((n, c) => n + c.transactions, 0)
  const span = Math.max(1, Math.round((now - start) / 1000))
  const sorted = latencies.slice().sort((a, b) => a - b)
  return {
    txs: watchingSince == null ? '-' : (txs / span).toFixed(1),
    window: watchingSince == null ? '' : ' (' + span + ' s)',
    p50: sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(1) + ' ms' : '-'
  }
}

// the backups a chain's table names; when its round refreshed none, how far they hold it, as the CLI
// says it (the page named them as if they held the tip: a review, 2026-12-03)
function backupsCell (t) {
  if (!t) return '-'
  const held = t.active.length > 0 && typeof t.heldHeight === 'number' && t.heldHeight < t.height ? ' (hold ' + t.heldHeight + ')' : ''
  return 'epoch ' + t.epoch + ': ' + t.active.map(short).join(' ') + held
}

function render (s) {
  self = s.peerId
  $('peer').textContent = s.peerId
  $('network').textContent = 'network ' + s.network + ' · ' + s.addresses.join('  ')
  const own = s.chains.find((c) => c.role === 'own')
  const r = rate()
  $('cards').replaceChildren(
    card('peers connected', String(s.peers.length)),
    card('own chain height', own ? String(own.height) : '0'),
    // its row's backups column names the table's backups, up to date or not
    card('own chain backups up to date', own && own.replication ? own.replication.fresh.length + ' of ' + own.replication.k + (own.replication.shortOfK ? ' (short)' : '') : '-'),
    card('shared chain leader', s.shared.leader === self ? 'this node' : short(s.shared.leader)),
    card('storage used / capacity', bytes(s.storage.used) + ' / ' + bytes(s.storage.capacity)),
    card('held for others', bytes(s.storage.heldForOthers)),
    card('txs/s committed' + r.window, r.txs),
    card('write p50 (recent)', r.p50)
  )
  const rows = s.chains.map((c) => {
    const tr = document.createElement('tr')
    cell(tr, c.id, 'mono')
    cell(tr, c.role)
    cell(tr, String(c.height))
    cell(tr, bytes(c.bytes))
    cell(tr, c.booth ? c.booth.map(short).join(' ') : '-', 'mono')
    cell(tr, short(c.leader), 'mono')
    cell(tr, c.decided == null ? '-' : String(c.decided))
    cell(tr, backupsCell(c.backupTable), 'mono')
    return tr
  })
  $('chains').replaceChildren(...rows)
  $('peers').replaceChildren(...s.peers.map((p) => {
    const tr = document.createElement('tr')
    cell(tr, p.peerId, 'mono')
    cell(tr, p.addresses.join(' '), 'mono')
    cell(tr, p.storage ? bytes(p.storage.free) + ' free, ' + bytes(p.storage.held) + ' held' : '-')
    return tr
  }))
  // what the CLI's status says in words: a node that takes no writes looked like any other here (a review)
  const problems = problemsOf(s)
  $('problems').replaceChildren(...problems.map((text) => {
    const li = document.createElement('li')
    li.textContent = text
    return li
  }))
  $('state').textContent = (problems.length > 0 ? problems.length + (problems.length === 1 ? ' problem · ' : ' problems · ') : '') + 'updated ' + new Date().toLocaleTimeString()
  $('state').className = problems.length > 0 ? 'bad' : 'ok'
}

function problemsOf (s) {
  const out = []
  const which = (id) => id === s.peerId ? 'its own chain' : id === 'shared' ? 'the shared chain' : short(id)
  for (const c of s.consensus || []) {
    if (typeof c.failed === 'string') out.push('consensus STOPPED on ' + which(c.chainId) + ': ' + c.failed + ' (restart the node once that is fixed)')
  }
  if (typeof s.ownChainLost === 'string') out.push('own chain: ' + s.ownChainLost)
  if (s.shared && Array.isArray(s.shared.conflicts) && s.shared.conflicts.length > 0) out.push('another shared chain runs on ' + s.shared.conflicts.map(short).join(', '))
  if (Array.isArray(s.clonedPeers) && s.clonedPeers.length > 0) out.push('two processes run the identity of ' + s.clonedPeers.map(short).join(', ') + ': no member here until one of them stops')
  if (Array.isArray(s.identityClonedSeenBy) && s.identityClonedSeenBy.length > 0) out.push(s.identityClonedSeenBy.map(short).join(', ') + ' say two processes run the identity of this vehicle: stop one of them')
  if (s.storage && s.storage.diskFree != null && s.storage.diskFree <= s.storage.diskReserve) out.push('the disk is down to its reserve (' + bytes(s.storage.diskFree) + ' free): no backup duty for others')
  return out
}

async function poll () {
  try {
    const res = await fetch('/status')
    if (!res.ok) throw new Error('status ' + res.status)
    render(await res.json())
  } catch (err) {
    $('state').textContent = 'node unreachable: ' + err.message
    $('state').className = 'bad'
  }
  setTimeout(poll, 2000)
}

function describe (type, d) {
  switch (type) {
    case 'chain:committed': return short(d.chainId) + ' height ' + d.height + ' (+' + d.blocks + ' blocks, ' + d.transactions + ' txs)'
    case 'write:settled': return short(d.chainId) + (d.error ? ' failed: ' + d.error : ' height ' + d.height) + ' in ' + d.durationMs.toFixed(1) + ' ms'
    case 'backup:table': return short(d.chainId) + ' epoch ' + d.epoch + ' active ' + d.active.map(short).join(' ')
    case 'replicate:finished': return short(d.chainId) + ' → ' + short(d.peer) + ' ' + bytes(d.sentBytes) + (d.error ? ' failed: ' + d.error : '')
    case 'peer:rejected': return short(d.peerId) + ': ' + d.reason
    case 'peer:bootstrap-failed': return d.address + ': ' + d.error
    case 'peer:cloned': return short(d.peerId) + (d.cloned ? ': two processes run its identity (a copied data dir?), no member until one stops' : ': one process again, a member again')
    case 'identity:cloned': return short(d.seenBy) + ' says two processes run the identity of this vehicle: stop one of them'
    case 'node:stopped': return 'the node stopped: no more events'
    case 'storage:pruned': return bytes(d.freedBytes) + ' pruned' + (d.reason === 'room' ? ' for a backup copy' : '') + (d.overBound ? '; what retention keeps (pins, own and shared chain) holds storage above its bound' : '') + (d.failed && d.failed.length > 0 ? '; could not prune ' + d.failed.map(f => short(f.chainId) + ' (' + f.error + ')').join(', ') : '')
    default: return JSON.stringify(d)
  }
}

const TYPES = ['peer:connected', 'peer:disconnected', 'peer:rejected', 'peer:bootstrap-failed', 'peer:cloned', 'identity:cloned', 'chain:committed', 'write:settled', 'replicate:finished', 'backup:table', 'backup:released', 'storage:pruned', 'node:stopped']

function listen () {
  const source = new EventSource('/events?types=' + TYPES.join(','))
  const log = $('log')
  // each (re)connection; what was heard before a break is no rate over the time it lasted
  source.addEventListener('open', () => {
    watchingSince = Date.now()
    commits.length = 0
  })
  source.addEventListener('error', () => { watchingSince = null })
  const onEvent = (e) => {
    const d = JSON.parse(e.data)
    const replayed = missed > 0
    if (replayed) missed--
    if (e.type === 'chain:committed' && !replayed) commits.push({ at: Date.now(), transactions: d.transactions })
    if (e.type === 'write:settled' && !d.error) latencies.push(d.durationMs)
    const line = document.createElement('div')
    line.textContent = new Date().toLocaleTimeString() + '  ' + e.type + '  ' + describe(e.type, d)
    log.prepend(line)
    while (log.childElementCount > 200) log.lastChild.remove()
  }
  for (const type of TYPES) source.addEventListener(type, onEvent)
  // back after a break (EventSource reconnects by itself, saying the last event it had): the node
  // sends what was missed, or this when it no longer can
  source.addEventListener('events:lost', (e) => {
    const line = document.createElement('div')
    line.textContent = new Date().toLocaleTimeString() + '  events missed while disconnected: ' + JSON.parse(e.data).reason
    log.prepend(line)
  })
  // the ones it still holds come next (listed above this line, newest first), at the time they arrive here
  source.addEventListener('events:missed', (e) => {
    missed = JSON.parse(e.data).events
    const line = document.createElement('div')
    line.textContent = new Date().toLocaleTimeString() + '  ' + missed + (missed === 1 ? ' event' : ' events') + ' missed while disconnected, above: they happened before this time'
    log.prepend(line)
  })
}

poll()
listen()
`

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vguard-node</title>
<style>${STYLE}</style>
</head>
<body>
<h1>vguard-node <span id="state"></span></h1>
<div class="sub" id="peer"></div>
<div class="sub" id="network"></div>
<ul class="bad" id="problems"></ul>
<div class="cards" id="cards"></div>
<h2>Chains held</h2>
<table>
<thead><tr><th>chain</th><th>role</th><th>height</th><th>bytes</th><th>booth</th><th>leader</th><th>decided</th><th>backup table</th></tr></thead>
<tbody id="chains"></tbody>
</table>
<h2>Peers</h2>
<table>
<thead><tr><th>peer</th><th>addresses</th><th>storage</th></tr></thead>
<tbody id="peers"></tbody>
</table>
<h2>Events (newest first)</h2>
<div id="log"></div>
<script>${SCRIPT}</script>
</body>
</html>
`

/** The page's inline script and style: the Content-Security-Policy allows exactly these (by hash). */
export const DASHBOARD_SCRIPT = SCRIPT
export const DASHBOARD_STYLE = STYLE
