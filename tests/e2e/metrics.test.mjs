// metrics: GET /metrics on ELECTRIC_PROMETHEUS_PORT.  Every scrape is
// parsed strictly as the Prometheus text format 0.0.4 (HELP and TYPE
// before a family's samples, families not interleaved, valid names, label
// escapes and values, no duplicate series), and the values must move with
// what the test does: shapes by state after creating shapes,
// electricd_changes_total by exactly the rows inserted, restarts of the
// consumer role after a SIGKILL of a consumer, memory > 0 for every role,
// an open connection and a waiting live request while a long-poll waits,
// responses by status.  Other paths are 404, other methods 405.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after } from 'node:test';
import {
  cleanup, createDatabase, createItems, freePort, readToEnd, scenario, shapeGet,
  startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const ROLES = ['root', 'connmgr', 'replication', 'collector', 'shapecache', 'http', 'consumer'];

/* {name: value} labels of a sample line's "{...}", strictly. */
function parseLabels(s, line) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    assert.ok(eq > i, `label name in: ${line}`);
    const name = s.slice(i, eq);
    assert.match(name, LABEL, `label name in: ${line}`);
    assert.equal(s[eq + 1], '"', `quoted label value in: ${line}`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const c = s[++j];
        assert.ok(c === '\\' || c === '"' || c === 'n', `escape \\${c} in: ${line}`);
        v += c === 'n' ? '\n' : c;
      } else {
        v += s[j];
      }
    }
    assert.equal(s[j], '"', `closed label value in: ${line}`);
    assert.ok(!(name in labels), `repeated label ${name} in: ${line}`);
    labels[name] = v;
    i = j + 1;
    if (i < s.length) {
      assert.equal(s[i], ',', `label separator in: ${line}`);
      i++;
    }
  }
  return labels;
}

/* The exposition text -> { families: {name: {type, help}}, get(name, labels) }. */
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  const families = {};
  const series = new Map();
  const list = [];
  const done = new Set();	// families that ended (another one started)
  let current = null;
  const enter = (name, line) => {
    if (name === current) return;
    assert.ok(!done.has(name), `family ${name} interleaved: ${line}`);
    if (current !== null) done.add(current);
    current = name;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) {
      assert.match(m[1], NAME);
      enter(m[1], line);
      assert.ok(!families[m[1]]?.help, `second HELP for ${m[1]}`);
      families[m[1]] = { ...families[m[1]], help: m[2] };
    } else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) {
      assert.match(m[1], NAME);
      assert.ok(TYPES.has(m[2]), `type of ${m[1]}: ${m[2]}`);
      enter(m[1], line);
      assert.ok(!families[m[1]]?.type, `second TYPE for ${m[1]}`);
      assert.ok(![...series.keys()].some((k) => k.startsWith(`${m[1]}{`)),
        `TYPE ${m[1]} after its samples`);
      families[m[1]] = { ...families[m[1]], type: m[2] };
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line))) {
      const [, name, lab, val] = m;
      enter(name, line);
      assert.ok(families[name]?.type, `sample before TYPE: ${line}`);
      assert.ok(name.startsWith('electricd_'), `prefix: ${line}`);
      if (families[name].type === 'counter') assert.ok(name.endsWith('_total'), `counter name: ${line}`);
      const labels = lab === undefined ? {} : parseLabels(lab, line);
      assert.match(val, /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|NaN|[+-]Inf)$/, `value: ${line}`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      assert.ok(!series.has(key), `duplicate series: ${line}`);
      series.set(key, Number(val));
      list.push({ name, labels, value: Number(val) });
    } else {
      assert.fail(`not a line of the text format: ${JSON.stringify(line)}`);
    }
  }
  return {
    families,
    samples: (name) => list.filter((x) => x.name === name),
    get: (name, labels = {}) => series.get(`${name}${JSON.stringify(Object.entries(labels).sort())}`),
  };
}

async function scrape(port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

scenario('GET /metrics: strict text format, values that move', async () => {
  const db = await createDatabase('metrics');
  await createItems(db);
  await db.sql('CREATE TABLE others (id int PRIMARY KEY, v text)');
  const prom = await freePort();
  const E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_PROMETHEUS_PORT: String(prom), ELECTRIC_LONG_POLL_TIMEOUT: '20000' },
  });

  let m = await scrape(prom);
  for (const f of ['electricd_processes', 'electricd_restarts_total', 'electricd_memory_rss_bytes',
    'electricd_memory_pss_bytes', 'electricd_http_requests_in_flight']) {
    assert.ok(m.families[f]?.help, `family ${f} present`);
  }
  assert.equal(m.families.electricd_restarts_total.type, 'counter');
  const info = m.samples('electricd_build_info');
  assert.equal(info.length, 1);
  assert.ok(info[0].labels.version, 'build_info has a version');
  assert.equal(info[0].value, 1);
  assert.equal(m.get('electricd_processes', { role: 'http', state: 'ready' }), 1);

  // Two shapes: shapes by state, one ready consumer each.
  let r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  r = await shapeGet(E, { table: 'others', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  m = await waitFor('2 active shapes, 2 ready consumers', async () => {
    const x = await scrape(prom);
    return x.get('electricd_shapes', { state: 'active' }) === 2 &&
      x.get('electricd_processes', { role: 'consumer', state: 'ready' }) === 2 &&
      x.get('electricd_replication_lag_seconds') === 0 &&
      x.get('electricd_replication_lag_bytes') >= 0 ? x : null;	// polled every 2 s
  }, 15_000, 200);
  for (const role of ROLES) {
    assert.ok(m.get('electricd_memory_rss_bytes', { role }) > 0, `rss of ${role}`);
    assert.ok(m.get('electricd_memory_pss_bytes', { role }) > 0, `pss of ${role}`);
    if (role !== 'root') assert.equal(m.get('electricd_restarts_total', { role }), 0, `restarts of ${role}`);
  }
  assert.ok(m.get('electricd_http_requests_total', { code: '200' }) >= 2);

  // changes_total moves by exactly the rows inserted (3 + 2 in 2 transactions).
  const changes0 = m.get('electricd_changes_total') ?? 0;
  const tx0 = m.get('electricd_transactions_total') ?? 0;
  await db.sql("INSERT INTO items VALUES (10, 'a', false), (11, 'b', false), (12, 'c', true)");
  await db.sql("INSERT INTO others VALUES (1, 'x'), (2, 'y')");
  m = await waitFor('changes_total + 5 and lag 0', async () => {
    const x = await scrape(prom);
    return x.get('electricd_changes_total') >= changes0 + 5 &&
      x.get('electricd_replication_lag_seconds') === 0 ? x : null;
  }, 15_000, 200);
  assert.equal(m.get('electricd_changes_total'), changes0 + 5);
  assert.equal(m.get('electricd_transactions_total'), tx0 + 2);
  await waitFor('replication lag in bytes to drop under 1 MB', async () =>
    (await scrape(prom)).get('electricd_replication_lag_bytes') < 1 << 20, 15_000, 500);

  // A live long-poll waits: one waiting request, an open connection.
  const end = await readToEnd(E, { table: 'items' });
  const live = shapeGet(E, { table: 'items', handle: end.handle, offset: end.offset, live: 'true' });
  m = await waitFor('a waiting live request', async () => {
    const x = await scrape(prom);
    return x.get('electricd_http_requests_in_flight', { state: 'wait-live' }) === 1 ? x : null;
  }, 10_000, 100);
  assert.ok(m.get('electricd_http_connections') >= 1, 'an open connection');

  // http_connections counts exactly the established connections to the
  // Shape API port: 20 more idle sockets, then 20 fewer.
  const conns0 = m.get('electricd_http_connections');
  const socks = await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: E.port }, () => resolve(s));
    s.once('error', reject);
  })));
  await waitFor('20 more connections', async () =>
    (await scrape(prom)).get('electricd_http_connections') === conns0 + 20, 10_000, 100);
  for (const s of socks) s.destroy();
  await waitFor('20 fewer again', async () =>
    (await scrape(prom)).get('electricd_http_connections') === conns0, 10_000, 100);
  await db.sql("INSERT INTO items VALUES (13, 'd', false)");
  r = await live;
  assert.equal(r.status, 200, r.text);
  m = await waitFor('no waiting live request', async () => {
    const x = await scrape(prom);
    return x.get('electricd_http_requests_in_flight', { state: 'wait-live' }) === 0 ? x : null;
  }, 10_000, 100);

  // SIGKILL of a consumer: one restart of the consumer role, then ready again.
  const consumer = E.tree().find((p) => p.role === 'consumer' && p.shape === handle);
  assert.ok(consumer, 'the items consumer runs');
  process.kill(consumer.pid, 'SIGKILL');
  m = await waitFor('a consumer restart', async () => {
    const x = await scrape(prom);
    return x.get('electricd_restarts_total', { role: 'consumer' }) === 1 &&
      x.get('electricd_processes', { role: 'consumer', state: 'ready' }) === 2 ? x : null;
  }, 15_000, 200);
  for (const role of ROLES.filter((x) => x !== 'root' && x !== 'consumer')) {
    assert.equal(m.get('electricd_restarts_total', { role }), 0, `restarts of ${role}`);
  }

  // Only GET/HEAD /metrics.
  let res = await fetch(`http://127.0.0.1:${prom}/nope`);
  assert.equal(res.status, 404);
  await res.arrayBuffer();
  res = await fetch(`http://127.0.0.1:${prom}/metrics`, { method: 'POST', body: 'x' });
  assert.equal(res.status, 405);
  await res.arrayBuffer();
  res = await fetch(`http://127.0.0.1:${prom}/metrics`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  await E.stop();
});
