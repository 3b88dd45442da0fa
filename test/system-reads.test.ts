/**
 * The reads that became select plans (issue #17), on generated demo data,
 * each against hand-written SQL on the same tables: the demo users, the
 * territory directory, member labels and one ATS's PON microdata.
 */
import t from 'tap';
import { prepareData } from '../server/data/bootstrap.ts';
import { loadModel } from '../server/model/load.ts';
import { loadAtsRecords } from '../server/pon/load.ts';
import { createLabelCache } from '../server/query/labels.ts';
import { rowReader } from '../server/query/read.ts';
import { demoUsers } from '../server/security/demo-users.ts';
import { Directory } from '../server/security/directory.ts';
import { tempEngine } from './helpers/engine.ts';

const { engine, dispose } = await tempEngine();
t.teardown(dispose);
await prepareData(engine, { demoRows: 2000, seed: 3, log: () => {} });
const T = (n: string) => engine.table(n);
type Row = Record<string, string | number | null>;
const model = loadModel({ dir: 'cubes' });
const directory = await Directory.load(rowReader(engine));

t.test('demo users: the pick of the hand-written query', async (t) => {
  const [hand] = await engine.query<Row>(
    `SELECT regione, any(regione_nome) AS regione_nome, ats, any(ats_nome) AS ats_nome,
            argMax(comune, popolazione_comune) AS comune, argMax(comune_nome, popolazione_comune) AS comune_nome
     FROM ${T('territorio')} GROUP BY regione, ats ORDER BY regione = '12' DESC, count() DESC, ats LIMIT 1`,
  );
  const users = await demoUsers(rowReader(engine));
  t.same(
    users.map((u) => [u.principal.profile, u.principal.scope]),
    [['nazionale', undefined], ['regionale', hand.regione], ['ats', hand.ats], ['comunale', hand.comune], ['ente', `C${hand.comune}`]],
  );
  t.match(users[2].description, String(hand.ats_nome));
  t.match(users[3].description, String(hand.comune_nome));
});

t.test('territory directory: every place and provider of the reference tables', async (t) => {
  const [n] = await engine.query<Row>(`SELECT uniqExact(regione) AS r, uniqExact(ats) AS a, count() AS c FROM ${T('territorio')}`);
  t.same([directory.all('regione').length, directory.all('ats').length, directory.all('comune').length], [Number(n.r), Number(n.a), Number(n.c)]);
  const [c] = await engine.query<Row>(`SELECT comune, comune_nome, ats, regione FROM ${T('territorio')} ORDER BY comune DESC LIMIT 1`);
  t.same(directory.find('comune', String(c.comune)), { level: 'comune', code: c.comune, name: c.comune_nome, regione: c.regione, ats: c.ats });
  const providers = await engine.query<Row>(`SELECT ente, ente_nome, ente_tipo, sede_comune FROM ${T('enti')}`);
  t.ok(providers.length > 10, `${providers.length} providers`);
  t.same(providers.map((p) => directory.provider(String(p.ente))?.name), providers.map((p) => p.ente_nome), 'every provider, by name');
  const comune = providers.find((p) => p.ente_tipo === 'comune')!;
  t.equal(directory.provider(String(comune.ente))?.seat?.code, comune.sede_comune, "a Comune's seat is its comune");
});

t.test('labels of member-table keys: the hand-written label of each key, keys without one labelled by themselves', async (t) => {
  const dim = model.cubes.get('prestazioni')!.dimensions.get('comune')!;
  const hand = await engine.query<Row>(`SELECT comune, any(comune_nome) AS nome FROM ${T('territorio')} GROUP BY comune ORDER BY comune LIMIT 5`);
  const labels = await createLabelCache(engine).lookup(dim, [...hand.map((r) => String(r.comune)), 'nessuno']);
  t.same(labels, { ...Object.fromEntries(hand.map((r) => [r.comune, { it: r.nome }])), nessuno: { it: 'nessuno' } });
});

t.test("one ATS's PON microdata: the rows of the hand-written queries, missing dates kept missing", async (t) => {
  const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${T('pon_nuclei')} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
  const { project, households } = await loadAtsRecords({ model, directory, engine }, { id: 'u', profile: 'ats', scope: ats }, undefined, false);
  const p = { ats };
  const [hp] = await engine.query<Row>(`SELECT toString(dia) AS dia, nuclei_previsti FROM ${T('pon_progetti')} WHERE ats = {ats:String}`, p);
  t.same(project, { ats, dia: hp.dia, nuclei_previsti: Number(hp.nuclei_previsti) });
  const hn = await engine.query<Row>(`SELECT nucleo_id, toString(data_sottoscrizione) AS d FROM ${T('pon_nuclei')} WHERE ats = {ats:String} ORDER BY nucleo_id`, p);
  t.same(households.map((h) => [h.nucleo_id, h.data_sottoscrizione]), hn.map((r) => [r.nucleo_id, r.d]), 'households in order');
  const members = households.flatMap((h) => h.componenti);
  const [hc] = await engine.query<Row>(
    `SELECT count() AS n, countIf(destinatario) AS dest,
            (SELECT count() FROM ${T('pon_condizioni')} WHERE ats = {ats:String}) AS cond,
            (SELECT count() FROM ${T('pon_servizi')} WHERE ats = {ats:String}) AS serv,
            (SELECT countIf(data_erogazione IS NULL) FROM ${T('pon_servizi')} WHERE ats = {ats:String}) AS nondate
     FROM ${T('pon_componenti')} WHERE ats = {ats:String}`,
    p,
  );
  const services = members.flatMap((m) => m.servizi);
  t.same(
    [members.length, members.filter((m) => m.destinatario).length, members.flatMap((m) => m.condizioni).length, services.length, services.filter((s) => s.data_erogazione === null).length],
    [hc.n, hc.dest, hc.cond, hc.serv, hc.nondate].map(Number),
  );
  t.ok(Number(hc.nondate) > 0 && Number(hc.nondate) < services.length, 'both delivered and planned services are there');
  t.ok(services.every((s) => s.data_erogazione === null || /^\d{4}-\d{2}-\d{2}$/.test(s.data_erogazione)), 'dates as YYYY-MM-DD');
});
