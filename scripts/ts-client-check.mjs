// Sync check: drives the official Electric TypeScript client (@electric-sql/client, ShapeStream/Shape)
// against a running Conduit and verifies that it syncs a table (initial snapshot, then live
// INSERT/UPDATE/DELETE), a `where` + `params` + `columns` shape, a `replica: 'full'` shape,
// `log: 'changes_only'` with requestSnapshot (GET and POST subsets), DELETE /v1/shape, and a
// TRUNCATE (409 must-refetch => resync).
//
//   node scripts/ts-client-check.mjs
//
// Usually run by scripts/ts-client-check, which builds the client bundle and starts Conduit.
// Environment:
//   ELECTRIC_CLIENT_MODULE  path to the bundled client (ESM), required
//   CONDUIT_SHAPE_URL       default http://127.0.0.1:3333/v1/shape
//   DATABASE_URL            for psql (the table is dropped and recreated)
//   TS_CHECK_TABLE          table name, default items
//   TS_CHECK_MODE           longpoll (default) or sse (needs a working fetch-event-source module)
//   TS_CHECK_TIMEOUT_MS     per-step wait, default 30000
//   TS_CHECK_VERBOSE=1      log every request/response
//   TS_CHECK_SKIP_TRUNCATE=1  skip the TRUNCATE/409 step
//   TS_CHECK_DDL=1          also check ALTER TABLE and DROP + CREATE TABLE while live (see step 4b)
//   TS_CHECK_IDLE_MS        idle period at the end (default 25000; should exceed the server's
//                           long-poll timeout CONDUIT_LONG_POLL_TIMEOUT, also read from the env)
//
// Exit code 0 = all checks passed; 1 = at least one check failed; 2 = setup error.
// This file is Conduit's own code; the client is loaded from ELECTRIC_CLIENT_MODULE at run time.

import { execFileSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'

const MODULE = process.env.ELECTRIC_CLIENT_MODULE
const URL_ = process.env.CONDUIT_SHAPE_URL ?? 'http://127.0.0.1:3333/v1/shape'
const DATABASE_URL = process.env.DATABASE_URL
const MODE = process.env.TS_CHECK_MODE ?? 'longpoll'
const TIMEOUT = Number(process.env.TS_CHECK_TIMEOUT_MS ?? 30000)
const VERBOSE = process.env.TS_CHECK_VERBOSE === '1'

if (!MODULE || !DATABASE_URL) {
  console.error('ts-client-check: ELECTRIC_CLIENT_MODULE and DATABASE_URL are required')
  process.exit(2)
}
const TABLE = process.env.TS_CHECK_TABLE ?? 'items'
if (!/^[a-z_][a-z0-9_]*$/.test(TABLE)) { console.error(`ts-client-check: bad TS_CHECK_TABLE ${TABLE}`); process.exit(2) }
const clientModule = await import(pathToFileURL(MODULE).href)
// An ESM bundle has named exports; a tsc-compiled CommonJS build may only have a default export.
const { ShapeStream, Shape } = clientModule.ShapeStream ? clientModule : clientModule.default

// ---------------------------------------------------------------------------------------------
// Request log (fetchClient wrapper): every request/response the client makes, with key headers.

const LOG_HEADERS = [
  'electric-handle', 'electric-offset', 'electric-cursor', 'electric-up-to-date',
  'electric-has-data', 'electric-schema', 'cache-control', 'content-type', 'etag',
]
const requestLog = []
let requestSeq = 0

function makeFetchClient(label) {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input.url ?? String(input)
    const entry = { n: ++requestSeq, shape: label, method: init?.method ?? 'GET', url, started: Date.now() }
    requestLog.push(entry)
    if (VERBOSE) console.log(`  -> #${entry.n} [${label}] ${entry.method} ${url}`)
    let res
    try {
      res = await fetch(input, init)
    } catch (e) {
      entry.error = String(e?.cause ?? e)
      if (VERBOSE) console.log(`  <- #${entry.n} [${label}] network error ${entry.error}`)
      throw e
    }
    entry.status = res.status
    entry.ended = Date.now()
    entry.ms = entry.ended - entry.started
    entry.headers = {}
    for (const h of LOG_HEADERS) if (res.headers.has(h)) entry.headers[h] = res.headers.get(h)
    const isStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
    if (!isStream) {
      // Keep a copy of the body (truncated) for diagnostics; the client reads the original.
      try {
        const text = await res.clone().text()
        entry.body = text.length > 2000 ? text.slice(0, 2000) + '…' : text
      } catch (e) {
        entry.body = `<unreadable: ${e}>`
      }
    } else {
      entry.body = '<event-stream>'
    }
    if (VERBOSE || res.status >= 400) {
      console.log(`  <- #${entry.n} [${label}] ${res.status} (${entry.ms} ms) ${JSON.stringify(entry.headers)}`)
      if (VERBOSE || res.status >= 400) console.log(`     body: ${entry.body}`)
    }
    return res
  }
}

function dumpLog(label, last = 12) {
  const entries = requestLog.filter((e) => !label || e.shape === label).slice(-last)
  for (const e of entries) {
    console.log(`    #${e.n} [${e.shape}] ${e.method} ${e.url}`)
    console.log(`       => ${e.status ?? e.error ?? 'pending'} ${JSON.stringify(e.headers ?? {})}`)
    if (e.body !== undefined) console.log(`       body: ${e.body}`)
  }
}

// ---------------------------------------------------------------------------------------------
// psql helper

function sql(text) {
  try {
    return execFileSync('psql', [DATABASE_URL, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', text], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (e) {
    throw new Error(`psql failed: ${text}\n${e.stderr ?? e}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Model of the table: the expected rows, as the client should parse them (int8 => BigInt,
// float8 => number, bool => boolean, timestamptz => string as Postgres prints it in UTC/ISO,
// text[] => array of strings/null).

const model = new Map()
function put(row) { model.set(row.id, { ...row }) }

const BIG = 9007199254740993n // > 2^53: must stay exact (BigInt)
const SEED = [
  { id: 1, title: 'one', n: 0n, f: 1.5, b: true, ts: '2024-01-02 03:04:05+00', tags: ['a', 'b'] },
  { id: 2, title: 'two', n: 2n, f: -2.25, b: false, ts: '2024-06-01 12:00:00.123456+00', tags: [] },
  { id: 3, title: 'three "quoted", ünïcode', n: 3n, f: 3, b: null, ts: null, tags: ['x y', null, 'NULL'] },
  { id: 6, title: null, n: BIG, f: 1e100, b: false, ts: '1999-12-31 23:59:59+00', tags: null },
]

function lit(v) {
  if (v === null) return 'NULL'
  if (typeof v === 'bigint' || typeof v === 'number') return String(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (Array.isArray(v)) {
    const els = v.map((x) => (x === null ? 'NULL' : '"' + x.replace(/["\\]/g, '\\$&') + '"'))
    return `'{${els.join(',')}}'::text[]`
  }
  return `'${String(v).replace(/'/g, "''")}'`
}
const insertSql = (r) =>
  `INSERT INTO ${TABLE} VALUES (${[r.id, r.title, r.n, r.f, r.b, r.ts, r.tags].map(lit).join(', ')})`

// Live mutations, each one transaction: [description, SQL, model update]
const MUTATIONS = [
  ['insert id=4', insertSql({ id: 4, title: 'four', n: 5n, f: 0.5, b: true, ts: '2025-03-04 05:06:07+00', tags: ['c'] }),
    () => put({ id: 4, title: 'four', n: 5n, f: 0.5, b: true, ts: '2025-03-04 05:06:07+00', tags: ['c'] })],
  ['update id=1 title,n (moves into n > 1)', `UPDATE ${TABLE} SET title = 'one*', n = 10 WHERE id = 1`,
    () => Object.assign(model.get(1), { title: 'one*', n: 10n })],
  ['delete id=2 (inside n > 1)', `DELETE FROM ${TABLE} WHERE id = 2`, () => model.delete(2)],
  ['update id=3 n=0 (moves out of n > 1)', `UPDATE ${TABLE} SET n = 0 WHERE id = 3`,
    () => Object.assign(model.get(3), { n: 0n })],
  ['update id=4 f (column not selected by the columns shape)', `UPDATE ${TABLE} SET f = 9.75, b = false WHERE id = 4`,
    () => Object.assign(model.get(4), { f: 9.75, b: false })],
  ['multi-statement txn: insert 5, update 5, delete 6, update 4 title',
    `BEGIN; ${insertSql({ id: 5, title: 'five', n: 7n, f: 5, b: true, ts: null, tags: ['d'] })}; ` +
      `UPDATE ${TABLE} SET title = 'five!' WHERE id = 5; DELETE FROM ${TABLE} WHERE id = 6; ` +
      `UPDATE ${TABLE} SET title = 'four!' WHERE id = 4; COMMIT;`,
    () => {
      put({ id: 5, title: 'five!', n: 7n, f: 5, b: true, ts: null, tags: ['d'] })
      model.delete(6)
      model.get(4).title = 'four!'
    }],
  ['update of the primary key id=5 -> 7 (delete + insert)', `UPDATE ${TABLE} SET id = 7 WHERE id = 5`,
    () => { put({ ...model.get(5), id: 7 }); model.delete(5) }],
]

// ---------------------------------------------------------------------------------------------
// Shapes under test

const SHAPES = [
  { label: 'all', params: { table: TABLE }, filter: () => true, columns: null },
  {
    label: 'where+columns',
    params: { table: TABLE, where: 'n > $1', params: ['1'], columns: ['id', 'title', 'n'] },
    filter: (r) => r.n > 1n,
    columns: ['id', 'title', 'n'],
  },
  { label: 'replica-full', params: { table: TABLE, replica: 'full' }, filter: () => true, columns: null },
]

function expectedRows(shape) {
  return [...model.values()]
    .filter(shape.filter)
    .map((r) => (shape.columns ? Object.fromEntries(shape.columns.map((c) => [c, r[c]])) : { ...r }))
}

function norm(v) {
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : `num:${v}`
  if (Array.isArray(v)) return v.map(norm)
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm(v[k])]))
  }
  return v
}
const canon = (rows) => JSON.stringify([...rows].map(norm).sort((a, b) => Number(a.id.slice(4)) - Number(b.id.slice(4))))

let failures = 0
const results = []
function pass(name) { results.push(['PASS', name]); console.log(`PASS ${name}`) }
function fail(name, detail) {
  failures++
  results.push(['FAIL', name])
  console.log(`FAIL ${name}`)
  if (detail) console.log(String(detail).replace(/^/gm, '    '))
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitFor(shape, what) {
  const deadline = Date.now() + TIMEOUT
  let got
  const want = canon(expectedRows(shape))
  while (Date.now() < deadline) {
    if (shape.error) break
    got = canon(shape.shape.currentRows)
    if (got === want && shape.shape.isUpToDate) return true
    await sleep(50)
  }
  fail(`[${shape.label}] ${what}`,
    `expected: ${want}\n     got: ${canon(shape.shape.currentRows)}` +
      (shape.error ? `\n   error: ${inspect(shape.error)}` : '') +
      `\nlast requests:`)
  dumpLog(shape.label)
  return false
}

// ---------------------------------------------------------------------------------------------
// Run

console.log(`ts-client-check: client=${MODULE} url=${URL_} mode=${MODE} table=${TABLE}`)
sql(`DROP TABLE IF EXISTS ${TABLE}; CREATE TABLE ${TABLE} (id int PRIMARY KEY, title text, n int8, f float8, b bool, ts timestamptz, tags text[])`)
for (const r of SEED) { sql(insertSql(r)); put(r) }

for (const s of SHAPES) {
  s.messages = []
  s.error = null
  s.stream = new ShapeStream({
    url: URL_,
    params: s.params,
    liveSse: MODE === 'sse',
    fetchClient: makeFetchClient(s.label),
    onError: (e) => {
      // Record and stop (returning nothing stops the stream): any error is a finding.
      s.error = e
      console.log(`  [${s.label}] stream error: ${inspect(e)}`)
    },
  })
  s.stream.subscribe((msgs) => { s.messages.push(...msgs) }, (e) => { s.error ??= e })
  s.shape = new Shape(s.stream)
}

// 1. Initial sync
for (const s of SHAPES) {
  try {
    const rows = await Promise.race([
      s.shape.rows,
      sleep(TIMEOUT).then(() => { throw new Error(`timed out after ${TIMEOUT} ms`) }),
    ])
    const want = canon(expectedRows(s))
    const got = canon(rows)
    if (got === want) pass(`[${s.label}] initial sync (${rows.length} rows, handle ${s.shape.handle}, offset ${s.shape.lastOffset})`)
    else { fail(`[${s.label}] initial sync`, `expected: ${want}\n     got: ${got}`); dumpLog(s.label) }
  } catch (e) {
    fail(`[${s.label}] initial sync`, `${inspect(s.error ?? e)}\nlast requests:`)
    dumpLog(s.label)
  }
}

// Schema/type checks on the first shape's first row: the client parses by electric-schema.
{
  const r = SHAPES[0].shape.currentRows.find((x) => x.id === 1)
  const types = r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v]))
  const want = { id: 'number', title: 'string', n: 'bigint', f: 'number', b: 'boolean', ts: 'string', tags: 'array' }
  if (types && JSON.stringify(types) === JSON.stringify(want)) pass('[all] value types parsed per electric-schema')
  else fail('[all] value types parsed per electric-schema', `expected ${JSON.stringify(want)}, got ${JSON.stringify(types)}`)
}

// 2. Live mutations (long-poll / SSE), one transaction at a time
for (const [desc, text, apply] of MUTATIONS) {
  const before = SHAPES.map((s) => s.messages.length)
  sql(text)
  apply()
  const oks = await Promise.all(SHAPES.map((s) => waitFor(s, `live: ${desc}`)))
  oks.forEach((ok, i) => { if (ok) pass(`[${SHAPES[i].label}] live: ${desc}`) })
  // Raw message checks on the live changes of this step
  SHAPES.forEach((s, i) => { s.lastStep = s.messages.slice(before[i]) })
  const changeMsgs = (s) => s.lastStep.filter((m) => m.headers?.operation)
  if (desc.startsWith('update id=1')) {
    const upd = changeMsgs(SHAPES[0]).find((m) => m.headers.operation === 'update')
    if (upd && !('old_value' in upd) && Object.keys(upd.value).sort().join() === 'id,n,title')
      pass('[all] default replica update carries only PK + changed columns, no old_value')
    else fail('[all] default replica update carries only PK + changed columns, no old_value', inspect(upd))
    const full = changeMsgs(SHAPES[2]).find((m) => m.headers.operation === 'update')
    if (full && Object.keys(full.value).length === 7 && full.old_value &&
        Object.keys(full.old_value).sort().join() === 'n,title' && full.old_value.n === 0n)
      pass('[replica-full] update carries full value + old_value of changed columns')
    else fail('[replica-full] update carries full value + old_value of changed columns', inspect(full))
    const ins = changeMsgs(SHAPES[1]).find((m) => m.headers.operation === 'insert')
    if (ins && ins.key && Object.keys(ins.value).sort().join() === 'id,n,title')
      pass('[where+columns] row moving into the where clause arrives as an insert of the selected columns')
    else fail('[where+columns] row moving into the where clause arrives as an insert of the selected columns', inspect(changeMsgs(SHAPES[1])))
  }
  if (desc.startsWith('delete id=2')) {
    const del = changeMsgs(SHAPES[2]).find((m) => m.headers.operation === 'delete')
    if (del && Object.keys(del.value).length === 7) pass('[replica-full] delete carries the full old row')
    else fail('[replica-full] delete carries the full old row', inspect(del))
  }
  if (desc.startsWith('update id=4 f')) {
    const extra = changeMsgs(SHAPES[1])
    if (extra.length === 0) pass('[where+columns] update of unselected columns produces no message')
    else fail('[where+columns] update of unselected columns produces no message', inspect(extra))
  }
}

// Every live change message must carry a decimal lsn string (client does BigInt(lsn)).
for (const s of SHAPES) {
  const bad = s.messages.filter((m) => m.headers?.operation && m.headers.lsn !== undefined && !/^\d+$/.test(String(m.headers.lsn)))
  const upToDates = s.messages.filter((m) => m.headers?.control === 'up-to-date')
  const badUtd = upToDates.filter((m) => m.headers.global_last_seen_lsn !== undefined && !/^\d+$/.test(String(m.headers.global_last_seen_lsn)))
  if (bad.length === 0 && badUtd.length === 0) pass(`[${s.label}] lsn / global_last_seen_lsn are decimal strings`)
  else fail(`[${s.label}] lsn / global_last_seen_lsn are decimal strings`, inspect([...bad, ...badUtd].slice(0, 3)))
}

// 3. A second client joining late resumes from the first one's handle/offset (catch-up request).
{
  const s0 = SHAPES[0]
  const handle = s0.shape.handle
  const offset = s0.shape.lastOffset
  const late = { label: 'resume', filter: () => true, columns: null }
  late.abort = new AbortController()
  late.stream = new ShapeStream({
    url: URL_, params: { table: TABLE }, handle, offset, liveSse: MODE === 'sse', signal: late.abort.signal,
    fetchClient: makeFetchClient('resume'),
    onError: (e) => { late.error = e },
  })
  const seen = []
  late.stream.subscribe((msgs) => seen.push(...msgs))
  const deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && !late.error && !late.stream.isUpToDate) await sleep(50)
  const first = requestLog.find((e) => e.shape === 'resume')
  // In SSE mode the client's offset after an up-to-date is `<global_last_seen_lsn>_0` (protocol
  // §12), so resuming from it legitimately re-delivers the ops of that last transaction (idempotent).
  const resumeLsn = /^(\d+)_0$/.exec(String(offset))?.[1]
  const redelivered = (m) => resumeLsn !== undefined && String(m.headers.lsn) === resumeLsn
  if (late.stream.isUpToDate && !late.error && seen.every((m) => !m.headers?.operation || redelivered(m)) &&
      first && first.status === 200 && first.url.includes(`handle=${encodeURIComponent(handle)}`))
    pass(`[resume] new ShapeStream with {handle, offset} of a synced stream is up-to-date without re-sync`)
  else { fail('[resume] new ShapeStream with {handle, offset} resumes', `error: ${inspect(late.error)} seen: ${inspect(seen)}`); dumpLog('resume') }
  late.stream.unsubscribeAll()
  late.abort.abort()
}

// 3b. offset: 'now' — starts up-to-date with no rows, then follows live changes.
{
  const label = 'offset-now'
  const abort = new AbortController()
  let error
  const stream = new ShapeStream({
    url: URL_, params: { table: TABLE }, offset: 'now', liveSse: MODE === 'sse', signal: abort.signal,
    fetchClient: makeFetchClient(label), onError: (e) => { error = e },
  })
  const seen = []
  stream.subscribe((msgs) => seen.push(...msgs))
  let deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && !error && !stream.isUpToDate) await sleep(50)
  const upToDateFirst = stream.isUpToDate && !error && seen.every((m) => !m.headers?.operation)
  const row = { id: 100, title: 'after now', n: 1n, f: 0, b: false, ts: null, tags: ['z'] }
  sql(insertSql(row))
  put(row)
  deadline = Date.now() + TIMEOUT
  const got = () => seen.find((m) => m.headers?.operation === 'insert' && m.value?.id === 100)
  while (Date.now() < deadline && !error && !got()) await sleep(50)
  if (upToDateFirst && got() && !error) pass(`[${label}] offset 'now': up-to-date without snapshot rows, then receives a live insert`)
  else { fail(`[${label}] offset 'now'`, `upToDateFirst=${upToDateFirst} error=${inspect(error)} seen=${inspect(seen)}`); dumpLog(label) }
  abort.abort()
  const oks = await Promise.all(SHAPES.map((s) => waitFor(s, 'live: insert id=100')))
  oks.forEach((ok, i) => { if (ok) pass(`[${SHAPES[i].label}] live: insert id=100`) })
}

// 3c. A large transaction (many rows, spread over several log chunks when the server's chunk size
// is small, e.g. CONDUIT_CHUNK_BYTES=8192), then a fresh client syncing the whole table.
{
  const BULK = Number(process.env.TS_CHECK_BULK_ROWS ?? 400)
  const pad = 'x'.repeat(200)
  sql(`INSERT INTO ${TABLE} SELECT i, 'bulk ' || i || ' ${pad}', i % 7, i / 4.0, i % 2 = 0, ` +
      `'2020-01-01 00:00:00+00'::timestamptz + i * interval '1 second', ARRAY['t' || i] ` +
      `FROM generate_series(1000, ${999 + BULK}) AS i`)
  for (let i = 1000; i < 1000 + BULK; i++) {
    const secs = i
    const ts = new Date(Date.UTC(2020, 0, 1) + secs * 1000).toISOString().replace('T', ' ').replace('.000Z', '+00')
    put({ id: i, title: `bulk ${i} ${pad}`, n: BigInt(i % 7), f: i / 4, b: i % 2 === 0, ts, tags: [`t${i}`] })
  }
  const oks = await Promise.all(SHAPES.map((s) => waitFor(s, `live: one transaction inserting ${BULK} rows`)))
  oks.forEach((ok, i) => { if (ok) pass(`[${SHAPES[i].label}] live: one transaction inserting ${BULK} rows`) })
  for (const base of SHAPES) {
    const label = `fresh-${base.label}`
    const fresh = { label, filter: base.filter, columns: base.columns, error: null }
    fresh.abort = new AbortController()
    fresh.stream = new ShapeStream({
      url: URL_, params: base.params, liveSse: MODE === 'sse', signal: fresh.abort.signal,
      fetchClient: makeFetchClient(label), onError: (e) => { fresh.error = e },
    })
    fresh.shape = new Shape(fresh.stream)
    if (await waitFor(fresh, `fresh client syncs ${model.size}-row table`)) {
      const reqs = requestLog.filter((e) => e.shape === label && !e.url.includes('live=true')).length
      pass(`[${label}] fresh client syncs the table (${fresh.shape.currentRows.length} rows in ${reqs} non-live requests)`)
    }
    fresh.abort.abort()
  }
}

// 3d. Invalid requests terminate the stream with a FetchError (400), without retry loops.
for (const [what, params, expectStatus] of [
  ['unknown column in where', { table: TABLE, where: 'no_such_column > 1' }, 400],
  ['unknown table', { table: 'no_such_table' }, 400],
]) {
  const label = `invalid:${what}`
  let error
  const abort = new AbortController()
  const opts = {
    url: URL_, params, signal: abort.signal, fetchClient: makeFetchClient(label), onError: (e) => { error = e },
  }
  const stream = new ShapeStream(opts)
  stream.subscribe(() => {})
  const deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && !error) await sleep(50)
  await sleep(300)
  const n = requestLog.filter((e) => e.shape === label).length
  if (error && error.status === expectStatus && n === 1)
    pass(`[invalid] ${what}: FetchError ${error.status} ${JSON.stringify(error.json ?? error.text ?? '')}, 1 request`)
  else { fail(`[invalid] ${what}: expected one request and a FetchError ${expectStatus}`, `requests=${n} error=${inspect(error)}`); dumpLog(label) }
  abort.abort()
}

// 3e. log: 'changes_only' with requestSnapshot, its subset sent by GET (query parameters, from
// offset -1) and by POST (JSON body, from offset 'now'): no rows until a snapshot is requested,
// then exactly the subset's rows, then live changes to them. Then DELETE /v1/shape (Conduit runs
// with CONDUIT_ALLOW_SHAPE_DELETION=true here): the stream gets 409, resyncs under a new handle and
// the Shape requests its subsets again.
for (const method of ['GET', 'POST']) {
  const label = `changes-only-${method}`
  const abort = new AbortController()
  let error
  const stream = new ShapeStream({
    url: URL_, params: { table: TABLE, replica: 'full' }, log: 'changes_only', subsetMethod: method,
    offset: method === 'POST' ? 'now' : undefined,
    liveSse: MODE === 'sse', signal: abort.signal, fetchClient: makeFetchClient(label), onError: (e) => { error = e },
  })
  const shape = new Shape(stream)
  let deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && !error && !stream.isUpToDate) await sleep(50)
  if (stream.isUpToDate && !error && shape.currentRows.length === 0) pass(`[${label}] changes_only starts up-to-date without rows`)
  else { fail(`[${label}] changes_only starts up-to-date without rows`, `error=${inspect(error)} rows=${shape.currentRows.length}`); dumpLog(label) }

  const ids = [...model.keys()].filter((id) => id <= 3).sort((a, b) => b - a).slice(0, 2)
  const subset = { where: 'id <= $1', params: { 1: '3' }, orderBy: 'id DESC', limit: 2 }
  try {
    // Shape.requestSnapshot injects the rows into the stream and remembers the subset (to request
    // it again after a 409); the response itself is read from the request log.
    await shape.requestSnapshot(subset)
    // (The client may also prefetch a "next chunk" of a GET subset URL; skip such entries.)
    const sent = requestLog.filter((e) => e.shape === label && (e.method === 'POST' || e.url.includes('subset__')) &&
      e.status === 200 && String(e.body ?? '').startsWith('{')).at(-1)
    const { metadata, data } = JSON.parse(sent?.body ?? '{}')
    const got = (data ?? []).map((m) => Number(m.value.id))
    if (JSON.stringify(got) === JSON.stringify(ids) && /^\d+$/.test(String(metadata.xmin)) && typeof metadata.snapshot_mark === 'number' &&
        sent && sent.method === method && sent.status === 200)
      pass(`[${label}] requestSnapshot (${method}) returns the subset's rows in order: ${got.join(',')}`)
    else fail(`[${label}] requestSnapshot (${method})`, `expected ids ${ids}, got ${got}; metadata ${inspect(metadata)}; request ${inspect(sent)}`)
  } catch (e) {
    fail(`[${label}] requestSnapshot (${method})`, inspect(e))
    dumpLog(label)
  }
  deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && shape.currentRows.length < ids.length) await sleep(50)
  const rowIds = shape.currentRows.map((r) => r.id).sort((a, b) => b - a)
  if (JSON.stringify(rowIds) === JSON.stringify(ids)) pass(`[${label}] the Shape holds exactly the subset's rows`)
  else fail(`[${label}] the Shape holds exactly the subset's rows`, `expected ${ids}, got ${rowIds}`)

  const target = ids[0]
  const title = `changes-only ${method}`
  sql(`UPDATE ${TABLE} SET title = '${title}' WHERE id = ${target}`)
  model.get(target).title = title
  deadline = Date.now() + TIMEOUT
  const updated = () => shape.currentRows.find((r) => r.id === target)?.title === title
  while (Date.now() < deadline && !error && !updated()) await sleep(50)
  if (updated()) pass(`[${label}] a live update of a snapshotted row reaches the Shape`)
  else { fail(`[${label}] a live update of a snapshotted row reaches the Shape`, `error=${inspect(error)}`); dumpLog(label) }

  if (method === 'POST') {
    const handle = shape.handle
    const deletedAt = Date.now()
    const res = await fetch(`${URL_}?table=${TABLE}&replica=full&log=changes_only`, { method: 'DELETE' })
    if (res.status === 202) pass(`[${label}] DELETE /v1/shape => 202`)
    else fail(`[${label}] DELETE /v1/shape => 202`, `${res.status} ${await res.text()}`)
    deadline = Date.now() + TIMEOUT
    const resynced = () => shape.handle && shape.handle !== handle && stream.isUpToDate && shape.currentRows.length === ids.length
    while (Date.now() < deadline && !error && !resynced()) await sleep(50)
    const saw409 = requestLog.some((e) => e.shape === label && e.status === 409 && e.ended >= deletedAt)
    if (resynced() && saw409) pass(`[${label}] after DELETE: 409, new handle, subset requested again (${shape.currentRows.length} rows)`)
    else { fail(`[${label}] after DELETE: 409, new handle, subset requested again`, `handle ${handle} -> ${shape.handle} 409=${saw409} rows=${shape.currentRows.length} error=${inspect(error)}`); dumpLog(label) }
  }
  abort.abort()
}

// 3f. DELETE of a full shape by handle: its stream gets 409 and resyncs the same rows under a new handle.
{
  const s = SHAPES[0]
  const handle = s.shape.handle
  const res = await fetch(`${URL_}?handle=${encodeURIComponent(handle)}`, { method: 'DELETE' })
  const deadline = Date.now() + TIMEOUT
  while (Date.now() < deadline && !s.error && (s.shape.handle === handle || !s.shape.isUpToDate)) await sleep(50)
  if (res.status !== 202) fail(`[${s.label}] DELETE by handle => 202`, `${res.status} ${await res.text()}`)
  else if (s.shape.handle === handle) { fail(`[${s.label}] DELETE by handle => 409 => new handle`, inspect(s.error)); dumpLog(s.label) }
  else if (await waitFor(s, 'resync after DELETE')) pass(`[${s.label}] DELETE by handle => 409 => resync under handle ${s.shape.handle}`)
}

// 4. TRUNCATE: Electric answers 409 must-refetch; the client must drop its rows and resync.
if (process.env.TS_CHECK_SKIP_TRUNCATE !== '1') {
  const handles = SHAPES.map((s) => s.shape.handle)
  const truncatedAt = Date.now()
  sql(`BEGIN; TRUNCATE ${TABLE}; ${insertSql({ id: 10, title: 'after truncate', n: 42n, f: 1, b: true, ts: null, tags: [] })}; COMMIT;`)
  model.clear()
  put({ id: 10, title: 'after truncate', n: 42n, f: 1, b: true, ts: null, tags: [] })
  const oks = await Promise.all(SHAPES.map((s) => waitFor(s, 'TRUNCATE + insert => resync')))
  oks.forEach((ok, i) => {
    const s = SHAPES[i]
    if (!ok) return
    const saw409 = requestLog.some((e) => e.shape === s.label && e.status === 409 && e.ended >= truncatedAt)
    const newHandle = s.shape.handle !== handles[i]
    pass(`[${s.label}] TRUNCATE + insert => resync (409 seen: ${saw409}, new handle: ${newHandle})`)
  })
}

// 4b. Opt-in (TS_CHECK_DDL=1): ALTER TABLE ADD COLUMN, then DROP + CREATE of the table while the
// clients are live. Electric answers 409 for both (protocol §13.1 "drop/recreate table => 409"),
// so clients resync. Known to fail on Conduit at the time of writing for DROP + CREATE: the old
// shape stays servable under its handle (stale rows, up-to-date forever) while offset=-1 requests
// get a new shape, because router keys shapes by relation OID and never hears about the old one.
if (process.env.TS_CHECK_DDL === '1') {
  sql(`ALTER TABLE ${TABLE} ADD COLUMN extra text DEFAULT 'x'; UPDATE ${TABLE} SET title = 'altered' WHERE id = 10`)
  Object.assign(model.get(10), { title: 'altered', extra: 'x' })
  const all = SHAPES.filter((s) => s.label !== 'where+columns') // a columns shape is unaffected
  for (const s of all) if (await waitFor(s, 'ALTER TABLE ADD COLUMN => resync with the new column')) pass(`[${s.label}] ALTER TABLE ADD COLUMN => resync with the new column`)
  const cols = SHAPES.find((s) => s.label === 'where+columns')
  if (await waitFor(cols, 'ALTER TABLE ADD COLUMN + update')) pass('[where+columns] ALTER TABLE ADD COLUMN + update')
  sql(`DROP TABLE ${TABLE}; CREATE TABLE ${TABLE} (id int PRIMARY KEY, title text, n int8, f float8, b bool, ts timestamptz, tags text[]); ` +
      insertSql({ id: 20, title: 'recreated', n: 3n, f: 2, b: true, ts: null, tags: [] }))
  model.clear()
  put({ id: 20, title: 'recreated', n: 3n, f: 2, b: true, ts: null, tags: [] })
  const oks = await Promise.all(SHAPES.map((s) => waitFor(s, 'DROP + CREATE TABLE => 409 => resync')))
  oks.forEach((ok, i) => { if (ok) pass(`[${SHAPES[i].label}] DROP + CREATE TABLE => 409 => resync`) })
}

// 5. Idle: live requests that time out on the server (200 [up-to-date], electric-has-data: false)
// must be re-issued without errors and without a fast request loop. Make TS_CHECK_IDLE_MS longer
// than the server's long-poll timeout (CONDUIT_LONG_POLL_TIMEOUT, default 20 s) to cover that path.
{
  const IDLE = Number(process.env.TS_CHECK_IDLE_MS ?? 25000)
  const LP = Number(process.env.CONDUIT_LONG_POLL_TIMEOUT ?? 20000)
  await sleep(1500) // let follow-up requests of the previous step (resync, prefetch) settle
  const idleFrom = Date.now()
  await sleep(IDLE)
  const during = requestLog.filter((e) => e.started >= idleFrom)
  const completed = during.filter((e) => e.ended !== undefined && e.ended >= idleFrom && SHAPES.some((s) => s.label === e.shape))
  const limit = SHAPES.length * (Math.ceil(IDLE / LP) + 2)
  const bad = completed.filter((e) => e.status !== 200 || (MODE !== 'sse' &&
    (e.headers['electric-has-data'] !== 'false' || !('electric-cursor' in e.headers) || !('electric-up-to-date' in e.headers))))
  const expectTimeouts = MODE !== 'sse' && IDLE > LP + 2000
  if (during.length > limit) { fail(`idle ${IDLE} ms: ${during.length} requests > ${limit} (fast loop?)`); dumpLog(null, 10) }
  else if (bad.length > 0) { fail(`idle ${IDLE} ms: unexpected live-timeout responses`); for (const e of bad) console.log(`    ${inspect(e)}`) }
  else if (expectTimeouts && SHAPES.some((s) => !completed.some((e) => e.shape === s.label)))
    fail(`idle ${IDLE} ms: some shapes saw no long-poll timeout response (server timeout ${LP} ms?)`)
  else if (SHAPES.some((s) => s.error || !s.stream.isUpToDate)) fail(`idle ${IDLE} ms: a stream errored or is no longer up-to-date`)
  else pass(`idle ${IDLE} ms: ${during.length} requests, ${completed.length} live timeouts answered 200 up-to-date/has-data=false, streams still up-to-date`)
}

for (const s of SHAPES) {
  if (s.error) fail(`[${s.label}] stream ended with an error`, inspect(s.error))
  s.stream.unsubscribeAll()
}

console.log(`\n${results.filter((r) => r[0] === 'PASS').length} passed, ${failures} failed; ${requestLog.length} requests`)
console.log(failures === 0 ? 'RESULT: PASS' : 'RESULT: FAIL')
process.exit(failures === 0 ? 0 : 1)
