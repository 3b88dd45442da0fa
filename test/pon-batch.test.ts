/**
 * The hand-made PON scenario, loaded as one batch through the admin API and
 * read back as the sheet: members born 1940-1965 (Date32), one turning 55 on
 * the signing day, a household with no members (not counted, warned), a
 * comune of another ATS (refused), a member or a birth date that contradicts
 * the other tables (refused, also when loaded alone against the tables in
 * place), and a ';'-separated Latin-1 file sent with the default options.
 * Every cell is counted by hand from the files below.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ModelRegistry } from '../server/admin/registry.ts';
import { prepareData } from '../server/data/bootstrap.ts';
import { buildApp } from '../server/http/app.ts';
import { ApiKeyStore } from '../server/security/api-keys.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';
import { tempEngine } from './helpers/engine.ts';
import { TEST_SECRET } from './helpers/app.ts';

const { engine, dir, dispose } = await tempEngine();
await prepareData(engine, { demoRows: 1000, seed: 9, log: () => {} });
const registry = await ModelRegistry.open({ dir: 'cubes', engine });
const app = await buildApp({
  context: () => registry.context(),
  reports: () => registry.reports(),
  admin: { registry, spoolDir: join(dir, 'uploads') },
  auth: { verify: await createVerifier({ secret: TEST_SECRET }), apiKeys: new ApiKeyStore(join(dir, 'keys.json')) },
});
t.teardown(async () => {
  await app.close();
  await dispose();
});
const token = async (profile: 'admin' | 'nazionale') => ({ authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, profile, subject: `t:${profile}`, expiresIn: '1h' })}` });
const admin = await token('admin');
const national = await token('nazionale');
const [{ ats: R }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('territorio')} WHERE comune = '058091'`);
const [{ ats: M }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('territorio')} WHERE comune = '015146'`);

/** One multipart/form-data body, one part per table. */
function multipart(files: Record<string, string | Buffer>): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const parts = Object.entries(files).map(([table, content]) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${table}"; filename="${table}.csv"\r\ncontent-type: text/csv\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')]),
  );
  return { payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), headers: { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
const batch = (files: Record<string, string | Buffer>) => app.inject({ method: 'POST', url: '/v1/admin/loads/batch', ...multipart(files) });
const counts = async () =>
  Object.fromEntries(await Promise.all(['pon_progetti', 'pon_nuclei', 'pon_componenti', 'pon_condizioni', 'pon_servizi'].map(async (x) => [x, Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table(x)}`))[0].n)])));

t.test('the demo data have real birth dates before 1970, none stuck at 1970-01-01', async (t) => {
  const [r] = await engine.query<{ before: number; stuck: number; oldest: string }>(
    `SELECT countIf(data_nascita < '1970-01-01') AS before, countIf(data_nascita = '1970-01-01') AS stuck, toString(min(data_nascita)) AS oldest FROM ${engine.table('pon_componenti')}`,
  );
  t.ok(Number(r.before) > 0, `${r.before} members born before 1970, the oldest on ${r.oldest}`);
  t.equal(Number(r.stuck), 0);
  t.equal((await engine.query<{ type: string }>(`SELECT type FROM system.columns WHERE database = 'pas' AND table = 'pon_componenti' AND name = 'data_nascita'`))[0].type, 'Date32');
});

const PROGETTI = `ats,dia,nuclei_previsti\n${R},2017-10-01,10\n`;
const NUCLEI = (extra = '') => `nucleo_id,ats,comune,data_sottoscrizione\nN1,${R},058091,2018-03-15\nN2,${R},058091,2018-03-15\nN3,${R},058091,2018-04-01\n${extra}`;
const COMPONENTI = (extra = '') =>
  'componente_id,nucleo_id,ats,data_nascita,genere,straniero,minoranza,disabilita,destinatario\n' +
  `C11,N1,${R},1963-03-15,1,0,0,0,1\n` + // 55 on the signing day: 55+
  `C12,N1,${R},1963-03-16,2,0,0,0,1\n` + // 54 on the signing day: 25-54
  `C21,N2,${R},1940-01-01,2,0,0,1,1\n` +
  `C22,N2,${R},1965-12-31,1,1,0,0,1\n` +
  extra;
// reddito_annuo empty for the inactive and the retired; the employee at exactly 8,000 euro counts as unemployed.
const CONDIZIONI = `componente_id,ats,dal,condizione,reddito_annuo,isced\nC11,${R},2017-01-01,disoccupato,,3\nC12,${R},2010-05-01,inattivo,,nessuno\nC21,${R},2005-01-01,pensionato,,1\nC22,${R},2016-02-01,dipendente,8000,2\n`;
// ';'-separated, Latin-1, sent with the default options.
const SERVIZI = Buffer.from(`componente_id;ats;tipo;descrizione;data_prevista;data_erogazione\nC11;${R};2;Attività di orientamento;2018-04-01;2018-04-20\nC21;${R};1;Socialità e mobilità;2018-04-10;2018-05-02\nC12;${R};3;Formazione;2018-06-01;\n`, 'latin1');
const ALL = { pon_progetti: PROGETTI, pon_nuclei: NUCLEI(), pon_componenti: COMPONENTI(), pon_condizioni: CONDIZIONI, pon_servizi: SERVIZI };

t.test('a household in a comune of another ATS refuses the whole batch, with the line and the reason', async (t) => {
  const before = await counts();
  const r = await batch({ ...ALL, pon_nuclei: NUCLEI(`N4,${R},015146,2018-03-20\n`) });
  t.same([r.statusCode, r.json().code], [422, 'LOAD_REJECTED']);
  const loads = r.json().loads as { table: string; status: string; rejects: { first: { line: number; column: string; reason: string }[] }; error: string }[];
  t.same(loads.map((l) => [l.table, l.status]), [['pon_progetti', 'rejected'], ['pon_nuclei', 'rejected'], ['pon_componenti', 'rejected'], ['pon_condizioni', 'rejected'], ['pon_servizi', 'rejected']]);
  t.same(loads[1].rejects.first, [{ line: 5, column: 'ats', reason: `comune 015146 appartiene a ats ${M} in territorio, non a ${R}`, value: R }]);
  t.match(loads[0].error, /^rifiutato insieme a pon_nuclei, caricato nello stesso lotto: 1 righe scartate/);
  t.same(await counts(), before, 'no table changed');
});

t.test('a member whose household is not in the batch, or born after the signing day, refuses the batch', async (t) => {
  const before = await counts();
  const orphan = await batch({ ...ALL, pon_componenti: COMPONENTI(`C91,N9,${R},1980-01-01,1,0,0,0,0\n`) });
  t.equal(orphan.statusCode, 422);
  const members = orphan.json().loads.find((l: { table: string }) => l.table === 'pon_componenti');
  t.same(members.rejects.file, ['pon_componenti.nucleo_id: 1 valore nel file senza riga corrispondente in pon_nuclei.nucleo_id del file caricato insieme (N9)']);
  const unborn = await batch({ ...ALL, pon_componenti: COMPONENTI(`C13,N1,${R},2018-06-01,1,0,0,0,0\n`) });
  t.same(unborn.json().loads.find((l: { table: string }) => l.table === 'pon_componenti').rejects.file, [
    'pon_componenti.data_nascita: per 1 valore di nucleo_id (N1) una data successiva a pon_nuclei.data_sottoscrizione',
  ]);
  t.same(await counts(), before);
});

t.test('the scenario loads as one batch and the sheet has the hand-counted cells', async (t) => {
  const r = await batch(ALL);
  t.equal(r.statusCode, 201, r.body.slice(0, 300));
  const loads = r.json().loads as { table: string; status: string; groupId: string; replacedDemo: boolean; rejects: { notes?: string[] } }[];
  t.same(loads.map((l) => [l.table, l.status, l.replacedDemo]), ['pon_progetti', 'pon_nuclei', 'pon_componenti', 'pon_condizioni', 'pon_servizi'].map((x) => [x, 'succeeded', true]));
  t.equal(new Set(loads.map((l) => l.groupId)).size, 1, 'one batch');
  t.same(loads[4].rejects.notes, ['separatore ";" rilevato dall\'intestazione', 'codifica Latin-1 (Windows-1252) rilevata: il file non è UTF-8']);
  t.same(await counts(), { pon_progetti: 1, pon_nuclei: 3, pon_componenti: 4, pon_condizioni: 4, pon_servizi: 3 }, 'the demo data replaced by the batch, all five tables');
  t.same(await engine.query(`SELECT descrizione FROM ${engine.table('pon_servizi')} WHERE componente_id = 'C11'`), [{ descrizione: 'Attività di orientamento' }]);

  const res = await app.inject({ method: 'POST', url: '/v1/pon/avviso3/scheda', headers: national, payload: { ats: R, fine_periodo: '2018-12-31' } });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const s = res.json();
  t.equal(s.dataVersion, loads[0].groupId, 'the batch is the data version of the sheet');
  t.same([s.tabella_1A.previsti, s.tabella_1A.effettivi], [10, 2], 'N1 and N2; N3 has no members');
  t.same(s.avvisi, ['Nucleo N3: nessun componente registrato, non contato nella tabella 1A']);
  const b = s.tabella_1B;
  const cells = (cs: { totale: number; uomini: number; donne: number }[]) => cs.map((c) => [c.totale, c.uomini, c.donne]);
  t.same(cells([b.totale, b.migranti, b.disabilita]), [[4, 2, 2], [1, 1, 0], [1, 0, 1]]);
  t.same(cells(b.status), [[2, 2, 0], [2, 0, 2]], 'unemployed: C11 and C22 (8,000 euro, threshold included); inactive: C12 and C21');
  t.same(b.eta.map((c: { id: string; totale: number }) => [c.id, c.totale]), [['1B.eta.0-3', 0], ['1B.eta.4-15', 0], ['1B.eta.16-17', 0], ['1B.eta.18-24', 0], ['1B.eta.25-54', 2], ['1B.eta.55+', 2]], '55+: C11 (55 that day) and C21 (78); 25-54: C12 (54) and C22 (52)');
  t.same(cells(b.eta.slice(4)), [[2, 1, 1], [2, 1, 1]]);
  t.same(b.istruzione.map((c: { totale: number }) => c.totale), [0, 1, 1, 1, 0, 1]);
  t.same(s.tabella_2A.servizi.map((c: { label: string; totale: number; uomini: number; donne: number }) => [c.label, c.totale, c.uomini, c.donne]), [
    ['Servizi socio-educativi', 1, 0, 1],
    ['Orientamento, implementazione competenze, consulenza informazione, attivazione lavorativa e work-experience', 1, 1, 0],
    ['Formazione per il lavoro', 0, 0, 0],
    ['Altro da specificare', 0, 0, 0],
  ], 'labels as declared in cubes/pon.yaml; the training never delivered does not count');
  t.same(cells([s.tabella_2A.totale]), [[2, 1, 1]]);
});

t.test('a single-table load is checked against the tables already there', async (t) => {
  const before = await counts();
  const members = await app.inject({
    method: 'POST', url: '/v1/admin/loads?table=pon_componenti', headers: { ...admin, 'content-type': 'text/csv' }, payload: COMPONENTI(`C91,N9,${R},1980-01-01,1,0,0,0,0\n`),
  });
  t.same([members.statusCode, members.json().load.refusal, members.json().load.rejects.file], [422, 'consistency', ['pon_componenti.nucleo_id: 1 valore nel file senza riga corrispondente in pon_nuclei.nucleo_id (N9)']]);
  const households = await app.inject({
    method: 'POST', url: '/v1/admin/loads?table=pon_nuclei&allow_shrink=true', headers: { ...admin, 'content-type': 'text/csv' }, payload: `nucleo_id,ats,comune,data_sottoscrizione\nN1,${R},058091,2018-03-15\n`,
  });
  t.equal(households.statusCode, 422, 'households that would orphan the members in place are refused');
  t.same(households.json().load.rejects.file, ['pon_componenti.nucleo_id: 1 valore nella tabella già caricata senza riga corrispondente in pon_nuclei.nucleo_id del file caricato (N2)']);
  t.same(await counts(), before);
});
