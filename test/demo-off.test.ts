/**
 * A real installation: DEMO_DATA=false prepares the reference data only, and
 * the benefit records arrive by load; answers then do not say "demo".
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { loadConfig } from '../server/config.ts';
import { createQueryContext } from '../server/context.ts';
import { dataInfo, prepareData } from '../server/data/bootstrap.ts';
import { runLoad } from '../server/load/run.ts';
import { loadModel } from '../server/model/load.ts';
import { runQuery } from '../server/query/execute.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { tempEngine } from './helpers/engine.ts';

const { engine, dispose } = await tempEngine();
t.teardown(dispose);

t.test('DEMO_DATA=false: reference data only, then real records by load', async (t) => {
  t.equal(loadConfig({ DEMO_DATA: 'false' }).demoData, false);
  t.equal(loadConfig({}).demoData, true, 'the demo stays the default');
  t.throws(() => loadConfig({ DEMO_DATA: 'no' }));
  const lines: string[] = [];
  await prepareData(engine, { demoRows: 1000, seed: 1, demo: false, log: (l) => lines.push(l) });
  const count = async (table: string) => Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table(table)}`))[0].n);
  t.same(
    { territorio: (await count('territorio')) > 7000, enti: (await count('enti')) > 0, nomenclatore: await count('nomenclatore'), prestazioni: await count('prestazioni'), sina: await count('sina'), pon_nuclei: await count('pon_nuclei') },
    { territorio: true, enti: true, nomenclatore: 29, prestazioni: 0, sina: 0, pon_nuclei: 0 },
  );
  t.match(lines.at(-1), /DEMO_DATA=false: nessun dato dimostrativo/);
  t.equal((await dataInfo(engine)).demo, false);

  const model = loadModel({ dir: 'cubes' });
  const csv = 'anno;trimestre;beneficiario_id;comune;eta;genere;ente;codice_prestazione;carattere;presa_in_carico;area_utenza;prova_mezzi;importo;isee\n' +
    ['1', '2', '3'].map((id) => `2024;1;${id};058091;40;1;C058091;A1.06;2;1;3;1;100,00;`).join('\n') + '\n';
  const load = await runLoad(engine, model, { table: 'prestazioni', format: 'csv', separator: ';', fileName: 'psa.csv', bytes: Readable.from([Buffer.from(csv)]) });
  t.same([load.status, load.replacedDemo], ['succeeded', false]);
  // Exact figures: the Nazionale exemption (a protected answer would perturb these 3 persons).
  const answer = await runQuery(await createQueryContext(engine, model, { nationalExemptFromDisclosure: true }), 'prestazioni', QuerySpecSchema.parse({ measures: ['beneficiari', 'importo'] }), { id: 't', profile: 'nazionale' });
  t.same([answer.rows[0].beneficiari, answer.rows[0].importo, answer.demo, answer.dataVersion], [3, 300, false, load.id]);
});
