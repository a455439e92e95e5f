// types_data: the many-typed table shared by the types_*.test.mjs files:
// its columns, one row of literals, Postgres's text output of that row
// under the PROTOCOL.md §11.1 settings, the exact electric-schema (§11.2)
// and what the client's default parser makes of each value (§11.4).

// The types the table needs, created before it.
export const TYPES_DDL = [
  "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
  'CREATE DOMAIN posint AS int CHECK (VALUE > 0)',
  'CREATE TYPE pair AS (x float8, label text)',
];

// Column definitions of table "every" (sent as CREATE TABLE every (...)).
export const COLUMNS = `id int PRIMARY KEY,
  i2 int2, i4 int4, i8 int8, i8min int8,
  f4 float4, f8 float8, f8neg0 float8, f8inf float8, f8ninf float8,
  f8nan float8, f8big float8, f8tiny float8,
  num numeric, num52 numeric(5,2), numnan numeric, num0 numeric(10,0),
  b bool, bf bool,
  ch char(5), vc varchar(10), txt text, nm name,
  u uuid, by bytea, js json, jb jsonb,
  d date, dinf date, dninf date, dbc date,
  t time, t0 time(0), t3 time(3), ttz timetz, ttz2 timetz(2),
  ts timestamp, ts3 timestamp(3), tsinf timestamp, tstz timestamptz,
  tstz0 timestamptz(0), tsbc timestamptz,
  iv interval, ivneg interval, ivym interval year to month,
  ivds interval day to second(3), ivs interval second(2), ivp interval(4),
  ivh interval hour, ivhm interval hour to minute,
  ine inet, ine6 inet, ci cidr, mac macaddr, mac8 macaddr8, mo money,
  bt bit(4), vb varbit(8), vbn varbit,
  tsv tsvector, tsq tsquery, pt point, bx box, r int4range, rempty int4range,
  tsr tstzrange, nr numrange,
  o oid, x xml,
  ia int4[], ia2 int4[][], i8a int8[], ta text[], ba bool[], ja jsonb[],
  ua uuid[], da date[], numa numeric[], f8a float8[], ma mood[],
  vca varchar(3)[], pa pair[],
  m mood, dom posint, comp pair`;

// Every column but id, as SQL literals (the same text on both paths).
export const VALUES = String.raw`
  -32768, 2147483647, 9223372036854775807, -9223372036854775808,
  3.14, 0.1, '-0', 'Infinity', '-Infinity', 'NaN', 1.5e300, 5e-324,
  '123456789012345678901234567890.000000001', -1.5, 'NaN', 42,
  true, false,
  'ab', 'hello', E'Ünïcødé 🎉 "dq" \'sq\' back\\slash\nnl\ttab\r/slash//x',
  'a name',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\x00ff10',
  '{"b": 1,  "a": [true, null], "s": "x\"y"}',
  '{"b": 1,  "a": [true, null], "s": "x\"y"}',
  '2024-02-29', 'infinity', '-infinity', '0044-03-15 BC',
  '23:59:59.999999', '12:00:00.6', '01:02:03.45678', '12:34:56+05:30',
  '12:34:56.789-08',
  '2024-01-31 12:34:56.123456', '2024-01-31 12:34:56.78951', '-infinity',
  '2024-01-31 12:34:56.123456+02', '2024-06-01 00:00:00.5+00',
  '0001-01-01 00:00:00+00 BC',
  '1 year 2 months -3 days 04:05:06.789', '-1 year -2 mons -00:00:01',
  '3 years 4 months', '1 day 02:03:04.5678', '12.345 seconds',
  '1 day 00:00:01.123456', '5 hours', '1 hour 30 minutes',
  '192.168.0.1/24', '::1', '10.0.0.0/8', '08:00:2b:01:02:03',
  '08:00:2b:01:02:03:04:05', 12.34,
  B'1010', B'101', B'1101011',
  'a fat cat sat', 'fat & (rat | cat)', '(1.5,-2)', '((0,0),(1,1))', '[1,10)',
  'empty', '[2024-01-01 00:00+00,2024-02-01 00:00+00)', '(1.5,2.5]',
  4294967295, '<a b="c">d &amp; e</a>',
  '{1,NULL,3}', '{{1,2},{3,4}}', '{9223372036854775807,-1}',
  ARRAY['a,b', 'q"x', 'back\slash', NULL, 'NULL', '', ' sp ', '{}'],
  '{t,f,NULL}', ARRAY['{"a": 1}'::jsonb, '[1, "x"]'::jsonb, NULL],
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
  '{2024-01-01,infinity}', '{1.50,NaN,-0.001}',
  '{NaN,Infinity,-Infinity,-0,1.5}', '{sad,happy}', '{abc,"d,e"}',
  ARRAY[ROW(1.5, 'a "b"')::pair, NULL],
  'happy', 7, ROW(-0.5, E'x,y\\z')::pair`;

// Postgres's text output of VALUES under §11.1 (bool is t/f on both paths).
export const EXPECTED = {
  i2: '-32768', i4: '2147483647', i8: '9223372036854775807',
  i8min: '-9223372036854775808',
  f4: '3.14', f8: '0.1', f8neg0: '-0', f8inf: 'Infinity', f8ninf: '-Infinity',
  f8nan: 'NaN', f8big: '1.5e+300', f8tiny: '5e-324',
  num: '123456789012345678901234567890.000000001', num52: '-1.50',
  numnan: 'NaN', num0: '42',
  b: 't', bf: 'f',
  ch: 'ab   ', vc: 'hello',
  txt: 'Ünïcødé 🎉 "dq" \'sq\' back\\slash\nnl\ttab\r/slash//x', nm: 'a name',
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', by: '\\x00ff10',
  js: '{"b": 1,  "a": [true, null], "s": "x\\"y"}',
  jb: '{"a": [true, null], "b": 1, "s": "x\\"y"}',
  d: '2024-02-29', dinf: 'infinity', dninf: '-infinity', dbc: '0044-03-15 BC',
  t: '23:59:59.999999', t0: '12:00:01', t3: '01:02:03.457',
  ttz: '12:34:56+05:30', ttz2: '12:34:56.79-08',
  ts: '2024-01-31 12:34:56.123456', ts3: '2024-01-31 12:34:56.79',
  tsinf: '-infinity', tstz: '2024-01-31 10:34:56.123456+00',
  tstz0: '2024-06-01 00:00:01+00', tsbc: '0001-01-01 00:00:00+00 BC',
  iv: 'P1Y2M-3DT4H5M6.789S', ivneg: 'P-1Y-2MT-1S', ivym: 'P3Y4M',
  ivds: 'P1DT2H3M4.568S', ivs: 'PT12.35S', ivp: 'P1DT1.1235S', ivh: 'PT5H',
  ivhm: 'PT1H30M',
  ine: '192.168.0.1/24', ine6: '::1', ci: '10.0.0.0/8',
  mac: '08:00:2b:01:02:03', mac8: '08:00:2b:01:02:03:04:05', mo: '$12.34',
  bt: '1010', vb: '101', vbn: '1101011',
  tsv: "'a' 'cat' 'fat' 'sat'", tsq: "'fat' & ( 'rat' | 'cat' )",
  pt: '(1.5,-2)', bx: '(1,1),(0,0)', r: '[1,10)', rempty: 'empty',
  tsr: '["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")', nr: '(1.5,2.5]',
  o: '4294967295', x: '<a b="c">d &amp; e</a>',
  ia: '{1,NULL,3}', ia2: '{{1,2},{3,4}}', i8a: '{9223372036854775807,-1}',
  ta: '{"a,b","q\\"x","back\\\\slash",NULL,"NULL",""," sp ","{}"}',
  ba: '{t,f,NULL}', ja: '{"{\\"a\\": 1}","[1, \\"x\\"]",NULL}',
  ua: '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', da: '{2024-01-01,infinity}',
  numa: '{1.50,NaN,-0.001}', f8a: '{NaN,Infinity,-Infinity,-0,1.5}',
  ma: '{sad,happy}', vca: '{abc,"d,e"}',
  pa: '{"(1.5,\\"a \\"\\"b\\"\\"\\")",NULL}',
  m: 'happy', dom: '7', comp: '(-0.5,"x,y\\\\z")',
};

// §11.2, exact for every column.
export const t = (type, extra = {}) => ({ type, ...extra });
export const SCHEMA = {
  id: t('int4', { pk_index: 0, not_null: true }),
  i2: t('int2'), i4: t('int4'), i8: t('int8'), i8min: t('int8'),
  f4: t('float4'), f8: t('float8'), f8neg0: t('float8'), f8inf: t('float8'),
  f8ninf: t('float8'), f8nan: t('float8'), f8big: t('float8'),
  f8tiny: t('float8'),
  num: t('numeric'), num52: t('numeric', { precision: 5, scale: 2 }),
  numnan: t('numeric'), num0: t('numeric', { precision: 10, scale: 0 }),
  b: t('bool'), bf: t('bool'),
  ch: t('bpchar', { length: 5 }), vc: t('varchar', { max_length: 10 }),
  txt: t('text'), nm: t('name'),
  u: t('uuid'), by: t('bytea'), js: t('json'), jb: t('jsonb'),
  d: t('date'), dinf: t('date'), dninf: t('date'), dbc: t('date'),
  // time(0): typmod 0 is no "precision" (typmod > 0), so the catch-all
  // raw type_mod applies (first matching rule of §11.2).
  t: t('time'), t0: t('time', { type_mod: 0 }), t3: t('time', { precision: 3 }),
  ttz: t('timetz'), ttz2: t('timetz', { precision: 2 }),
  ts: t('timestamp'), ts3: t('timestamp', { precision: 3 }),
  tsinf: t('timestamp'), tstz: t('timestamptz'),
  tstz0: t('timestamptz', { type_mod: 0 }), tsbc: t('timestamptz'),
  iv: t('interval'), ivneg: t('interval'),
  ivym: t('interval', { fields: 'YEAR TO MONTH' }),
  ivds: t('interval', { fields: 'DAY TO SECOND', precision: 3 }),
  ivs: t('interval', { fields: 'SECOND', precision: 2 }),
  ivp: t('interval', { precision: 4 }),
  ivh: t('interval', { fields: 'HOUR' }),
  ivhm: t('interval', { fields: 'HOUR TO MINUTE' }),
  ine: t('inet'), ine6: t('inet'), ci: t('cidr'), mac: t('macaddr'),
  mac8: t('macaddr8'), mo: t('money'),
  // bit/varbit: "length" = typmod unconditionally (-1 for a bare varbit).
  bt: t('bit', { length: 4 }), vb: t('varbit', { length: 8 }),
  vbn: t('varbit', { length: -1 }),
  tsv: t('tsvector'), tsq: t('tsquery'), pt: t('point'), bx: t('box'),
  r: t('int4range'), rempty: t('int4range'), tsr: t('tstzrange'),
  nr: t('numrange'), o: t('oid'), x: t('xml'),
  ia: t('int4', { dims: 1 }), ia2: t('int4', { dims: 2 }),
  i8a: t('int8', { dims: 1 }), ta: t('text', { dims: 1 }),
  ba: t('bool', { dims: 1 }), ja: t('jsonb', { dims: 1 }),
  ua: t('uuid', { dims: 1 }), da: t('date', { dims: 1 }),
  numa: t('numeric', { dims: 1 }), f8a: t('float8', { dims: 1 }),
  ma: t('mood', { dims: 1 }), vca: t('varchar', { dims: 1, max_length: 3 }),
  pa: t('pair', { dims: 1 }),
  m: t('mood'), dom: t('posint'), comp: t('pair'),
};

// What the client's default parser gives (§11.4).
export const PARSED = {
  i2: -32768, i4: 2147483647, i8: 9223372036854775807n,
  i8min: -9223372036854775808n,
  f4: 3.14, f8: 0.1, f8neg0: -0, f8inf: Infinity, f8ninf: -Infinity,
  f8nan: NaN, f8big: 1.5e300, f8tiny: 5e-324,
  b: true, bf: false,
  js: { b: 1, a: [true, null], s: 'x"y' }, jb: { a: [true, null], b: 1, s: 'x"y' },
  ia: [1, null, 3], ia2: [[1, 2], [3, 4]], i8a: [9223372036854775807n, -1n],
  ta: ['a,b', 'q"x', 'back\\slash', null, 'NULL', '', ' sp ', '{}'],
  ba: [true, false, null], ja: [{ a: 1 }, [1, 'x'], null],
  ua: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'], da: ['2024-01-01', 'infinity'],
  numa: ['1.50', 'NaN', '-0.001'], f8a: [NaN, Infinity, -Infinity, -0, 1.5],
  ma: ['sad', 'happy'], vca: ['abc', 'd,e'], pa: ['(1.5,"a ""b""")', null],
};

// Every other column stays the string Postgres sent.
export function parsedRow(id) {
  const row = { id };
  for (const [k, v] of Object.entries(EXPECTED)) row[k] = k in PARSED ? PARSED[k] : v;
  return row;
}
export const nullRow = (id) => Object.fromEntries(Object.keys(SCHEMA).map((k) => [k, k === 'id' ? id : null]));
