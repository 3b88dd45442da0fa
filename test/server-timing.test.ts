/**
 * Server-Timing: every query answer says where its time went (cost estimate, queue, engine, protect, labels, total),
 * and whether it came from the result cache; an answer from the cache did no engine work.
 * A report answer says how long the report took. Structure only: no assertion on how long anything took.
 */
import t from 'tap';
import { ResultCache } from '../server/query/cache.ts';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(20_000, 3, { cache: new ResultCache() });
t.teardown(() => demo.dispose());
const headers = await demo.as({ profile: 'ats', scope: (await demo.engine.query<{ ats: string }>(`SELECT any(ats) AS ats FROM ${demo.engine.table('prestazioni')}`))[0].ats });

/** name -> { dur, desc } of a Server-Timing header. */
function parse(header: string | undefined): Map<string, { dur?: number; desc?: string }> {
  const out = new Map<string, { dur?: number; desc?: string }>();
  for (const part of (header ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, ...params] = part.split(';');
    const entry: { dur?: number; desc?: string } = {};
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k === 'dur') entry.dur = Number(v);
      if (k === 'desc') entry.desc = v.replace(/^"|"$/g, '');
    }
    out.set(name, entry);
  }
  return out;
}

const body = { measures: ['beneficiari', 'importo'], rows: ['categoria'], totals: true };

t.test('a computed answer: estimate, queue, engine, protect, labels and total; cache miss', async (t) => {
  const res = await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: body });
  t.equal(res.statusCode, 200);
  const timing = parse(res.headers['server-timing'] as string);
  t.same([...timing.keys()].sort(), ['cache', 'engine', 'estimate', 'labels', 'protect', 'queue', 'total']);
  t.equal(timing.get('cache')!.desc, 'miss');
  for (const name of ['estimate', 'queue', 'engine', 'protect', 'labels', 'total']) t.ok(Number.isFinite(timing.get(name)!.dur) && timing.get(name)!.dur! >= 0, `${name} has a duration`);
  t.ok(timing.get('total')!.dur! >= timing.get('engine')!.dur! + timing.get('protect')!.dur!, 'the total includes the engine and the protection');
});

t.test('the same answer again: from the cache, no estimate, queue or engine', async (t) => {
  const res = await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: body });
  t.equal(res.statusCode, 200);
  const timing = parse(res.headers['server-timing'] as string);
  t.same([...timing.keys()].sort(), ['cache', 'total']);
  t.equal(timing.get('cache')!.desc, 'hit');
});

t.test('a report answer says how long the report took; a repeat is the same document', async (t) => {
  const ask = () => demo.app.inject({ method: 'POST', url: '/v1/reports/prospetto_categoria', headers, payload: {} });
  const first = await ask();
  t.equal(first.statusCode, 200);
  const timing = parse(first.headers['server-timing'] as string);
  t.same([...timing.keys()].sort(), ['report', 'total']);
  t.ok(timing.get('total')!.dur! >= timing.get('report')!.dur!, 'the total includes the report');
  const again = await ask();
  t.equal(again.body, first.body, 'the same document');
});
