/**
 * A real extract into the main cube: a PS-PSA file for a year is loaded into
 * `prestazioni` (declared in cubes/prestazioni.yaml), the derived columns come
 * from the reference tables, the cube answers on it. The first real load
 * replaces all the generated demo rows (real and generated never mix); after
 * that, loading a year replaces that year and keeps the others.
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { createQueryContext } from '../server/context.ts';
import { prepareData } from '../server/data/bootstrap.ts';
import { runLoad } from '../server/load/run.ts';
import { loadModel } from '../server/model/load.ts';
import { runQuery } from '../server/query/execute.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { planMigration } from '../server/tables/migrate.ts';
import { tempEngine } from './helpers/engine.ts';

const { engine, dispose } = await tempEngine();
t.teardown(dispose);
await prepareData(engine, { demoRows: 5000, seed: 9, log: () => {} });
const model = loadModel({ dir: 'cubes' });
const P = engine.table('prestazioni');

const HEADER = 'anno;trimestre;beneficiario_id;comune;eta;genere;ente;codice_prestazione;carattere;presa_in_carico;area_utenza;prova_mezzi;importo;isee';
// Roma (058091) and Milano (015146): four people in Rome, one in Milan; INPS pays one benefit.
const EXTRACT = [
  HEADER,
  '2024;1;900001;058091;34;2;C058091;A1.06;2;1;3;1;150,00;4500,50',
  '2024;2;900002;058091;81;1;INPS;A1.51;1;2;0;4;531,76;',
  '2024;1;900003;058091;8;2;C058091;A1.06;2;1;1;1;80,00;',
  '2024;3;900004;058091;45;1;C058091;A1.06;2;1;3;2;120,00;',
  '2024;4;900005;015146;70;2;C015146;A1.06;2;1;3;1;90,00;',
];
const load = (lines: string[]) => runLoad(engine, model, { table: 'prestazioni', format: 'csv', separator: ';', fileName: 'psa-2024.csv', bytes: Readable.from([Buffer.from(lines.join('\n') + '\n')]) });

t.test('the declared prestazioni table is the demo table: npm run schema has nothing to do', async (t) => {
  const plan = await planMigration(engine, model);
  t.same([plan.steps, plan.refusals], [[], []]);
  t.ok(plan.upToDate.includes('prestazioni'));
});

t.test('a PS-PSA extract for 2024 loads, with the derived columns from the reference tables', async (t) => {
  const ctx0 = await createQueryContext(engine, model);
  t.equal((await runQuery(ctx0, 'prestazioni', QuerySpecSchema.parse({ measures: ['beneficiari'] }), { id: 't', profile: 'nazionale' })).demo, true, 'before: demo data');
  const r = await load(EXTRACT);
  t.same([r.status, r.rowsAccepted, r.batches, r.replacedDemo], ['succeeded', 5, ['2024'], true], r.error);
  const rows = await engine.query<Record<string, unknown>>(`SELECT beneficiario_id, ats, regione, ente_tipo, sede_comune, categoria, inps, toString(isee) AS isee FROM ${P} WHERE anno = 2024 ORDER BY beneficiario_id`);
  const [roma] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('territorio')} WHERE comune = '058091'`);
  const [inpsSeat] = await engine.query<{ sede_comune: string }>(`SELECT sede_comune FROM ${engine.table('enti')} WHERE ente = 'INPS'`);
  t.same(rows[0], { beneficiario_id: 900001, ats: roma.ats, regione: '12', ente_tipo: 'comune', sede_comune: '058091', categoria: 'A1', inps: 0, isee: '4500.5' });
  t.same(rows[1], { beneficiario_id: 900002, ats: roma.ats, regione: '12', ente_tipo: 'inps', sede_comune: inpsSeat.sede_comune, categoria: 'A1', inps: 1, isee: null });
  t.equal(rows[4].regione, '03', 'Milano is in Lombardia');
  t.same(await engine.query(`SELECT anno, count() AS n FROM ${P} GROUP BY anno`), [{ anno: 2024, n: 5 }], 'the generated years are gone: real and generated rows never mix');

  // The cube answers on the loaded year: beneficiari and importo by regione, counted by hand above.
  const ctx = await createQueryContext(engine, model, { nationalExemptFromDisclosure: true });
  const answer = await runQuery(ctx, 'prestazioni', QuerySpecSchema.parse({ measures: ['beneficiari', 'importo'], rows: ['regione'], filters: [{ dimension: 'anno', op: 'eq', value: 2024 }] }), { id: 't', profile: 'nazionale' });
  t.same(answer.rows.map((x) => [x.regione, x.beneficiari, x.importo]), [['03', 1, 90], ['12', 4, 881.76]]);
  t.equal(answer.dataVersion, r.id);
  t.equal(answer.demo, false, 'the answer no longer says demo');
});

t.test('then a year replaces that year only; a corrected extract replaces the year; a bad one changes nothing', async (t) => {
  const y2023 = await load([HEADER, '2023;4;900001;058091;33;2;C058091;A1.06;2;1;3;1;60,00;']);
  t.same([y2023.status, y2023.replacedDemo], ['succeeded', false]);
  t.same(await engine.query(`SELECT anno, count() AS n FROM ${P} GROUP BY anno ORDER BY anno`), [{ anno: 2023, n: 1 }, { anno: 2024, n: 5 }]);
  const corrected = await load([HEADER, '2024;1;900001;058091;34;2;C058091;A1.06;2;1;3;1;175,00;4500,50']);
  t.equal(corrected.status, 'succeeded');
  t.same(await engine.query(`SELECT anno, count() AS n, toString(sum(importo)) AS s FROM ${P} GROUP BY anno ORDER BY anno`), [{ anno: 2023, n: 1, s: '60' }, { anno: 2024, n: 1, s: '175' }]);
  const bad = await load([HEADER, '2024;1;900009;058091;34;2;X999;Z9.99;2;1;7;1;1,00;']);
  t.same(bad.rejects.first.map((e) => e.column), ['ente', 'codice_prestazione', 'area_utenza']);
  t.same(await engine.query(`SELECT count() AS n FROM ${P}`), [{ n: 2 }]);
});
