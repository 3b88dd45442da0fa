/**
 * Every report, for every profile that may open it, with one filter: each
 * figure of each table against hand-written SQL on the same tables, put
 * through the documented cell key method (test/helpers/cellkey.ts).
 */
import t from 'tap';
import { demoApp } from './helpers/app.ts';
import { protectedTruth, type HandMeasure } from './helpers/cellkey.ts';

const demo = await demoApp(60_000, 12);
t.teardown(demo.dispose);
const { app, engine } = demo;
type Row = Record<string, unknown>;
const P = engine.table('prestazioni');

const [{ ats, regione }] = await engine.query<{ ats: string; regione: string }>(`SELECT ats, any(regione) regione FROM ${P} GROUP BY ats ORDER BY uniqExact(comune) DESC, ats LIMIT 1`);
const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} WHERE ats = {ats:String} GROUP BY comune ORDER BY count() DESC LIMIT 1`, { ats });
const ente = `C${comune}`;

// Hand-written: where each cube keeps its data, and how each dimension and base measure is computed.
const TABLE: Record<string, string> = { prestazioni: 'prestazioni', sina: 'sina', sinba: 'sinba', isee: 'dsu' };
const ISEE_BANDS = `CASE WHEN isee IS NULL THEN 'nd' WHEN isee = 0 THEN '1' WHEN isee <= 3000 THEN '2' WHEN isee <= 6000 THEN '3' WHEN isee <= 9000 THEN '4' WHEN isee <= 12000 THEN '5' WHEN isee <= 15000 THEN '6' WHEN isee <= 20000 THEN '7' ELSE '8' END`;
const DIM: Record<string, string> = {
  fascia_eta: `CASE WHEN eta < 3 THEN '0-2' WHEN eta < 6 THEN '3-5' WHEN eta < 18 THEN '6-17' WHEN eta < 25 THEN '18-24' WHEN eta < 45 THEN '25-44' WHEN eta < 65 THEN '45-64' WHEN eta < 75 THEN '65-74' WHEN eta < 85 THEN '75-84' ELSE '85+' END`,
  fascia_eta_sinba: `CASE WHEN eta < 3 THEN '0-2' WHEN eta < 6 THEN '3-5' WHEN eta < 9 THEN '6-8' WHEN eta < 12 THEN '9-11' WHEN eta < 15 THEN '12-14' ELSE '15-17' END`,
  composizione_famiglia: `CASE WHEN componenti_famiglia <= 2 THEN '2' WHEN componenti_famiglia = 3 THEN '3' WHEN componenti_famiglia = 4 THEN '4' ELSE '5+' END`,
  fascia_isee: ISEE_BANDS,
  cluster: `CASE WHEN popolazione_comune <= 5000 THEN '1' WHEN popolazione_comune <= 20000 THEN '2' WHEN popolazione_comune <= 60000 THEN '3' WHEN popolazione_comune <= 250000 THEN '4' ELSE '5' END`,
  ente_erogatore: 'ente',
  fonte_valutazione: 'fonte_valutazione',
  residenza_beneficiario: `if(multiIf(ente_tipo = 'comune', comune = sede_comune, ente_tipo = 'ats', ats = sede_ats, ente_tipo = 'altro', regione = sede_regione, 1), 1, 2)`,
  presa_in_carico: 'presa_in_carico',
};
const dimSql = (d: string) => DIM[d] ?? d;
const MEASURE: Record<string, HandMeasure | { kind: 'exact'; sql: string }> = {
  importo: { kind: 'amount', column: 'importo' },
  beneficiari: { kind: 'persons' },
  prestazioni: { kind: 'records' },
  valutazioni: { kind: 'distinct', column: 'valutazione_id' },
  minori: { kind: 'persons' },
  dsu: { kind: 'records' },
  persone: { kind: 'persons' },
  prestazioni_soggette_isee: { kind: 'records', where: 'prova_mezzi = 1' },
  // Counts of comuni stay exact (disclosure.exact); the cell is published when its persons are.
  comuni_con_beneficiari: { kind: 'exact', sql: 'uniqExact(comune)' },
  comuni_con_minori: { kind: 'exact', sql: 'uniqExact(comune)' },
};

const profiles = {
  nazionale: { principal: { profile: 'nazionale' as const }, where: '1' },
  regionale: { principal: { profile: 'regionale' as const, scope: regione }, where: `regione = '${regione}'` },
  ats: { principal: { profile: 'ats' as const, scope: ats }, where: `ats = '${ats}'` },
  comunale: { principal: { profile: 'comunale' as const, scope: comune }, where: `comune = '${comune}'` },
  ente: { principal: { profile: 'ente' as const, scope: ente }, where: `ente = '${ente}'` },
};
const LEVEL_TERRITORY: Record<string, [string, string]> = { regionale: [regione, `regione = '${regione}'`], ats: [ats, `ats = '${ats}'`], comunale: [comune, `comune = '${comune}'`], ente: [ente, `ente = '${ente}'`] };

let compared = 0;
for (const [who, p] of Object.entries(profiles)) {
  const headers = await demo.as(p.principal);
  const listing = (await app.inject({ method: 'GET', url: '/v1/reports', headers })).json().reports as Row[];
  for (const r of listing) {
    t.test(`${r.name} as ${who}`, async (t) => {
      const level = r.level as string;
      // A report of a lower level than the caller names its territory.
      const body: Row = {};
      let where = p.where;
      if (level !== 'tutti' && level !== who && level !== 'nazionale') {
        body.territorio = LEVEL_TERRITORY[level][0];
        where = `${p.where} AND ${LEVEL_TERRITORY[level][1]}`;
      }
      // One filter: the first value of the first filter offering values.
      const filter = (r.filters as Row[]).find((f) => Array.isArray(f.values) && (f.values as Row[]).length > 0);
      if (filter) {
        const value = (filter.values as Row[])[0].key as string | number;
        body.filtri = { [filter.dimension as string]: [value] };
        where += ` AND toString(${dimSql(filter.dimension as string)}) = '${value}'`;
      }
      const res = await app.inject({ method: 'POST', url: `/v1/reports/${r.name}`, headers, payload: body });
      t.equal(res.statusCode, 200, JSON.stringify(body));
      if (res.statusCode !== 200) return;
      const report = res.json();
      const cubeName = report.tables[0]?.series[0]?.result.cube ?? 'prestazioni';
      const fixed = r.name === 'isee_prestazioni' ? ' AND prova_mezzi = 1' : '';
      // An ente sees cubes without a provider dimension (SINBA, ISEE) for the territory of its seat: its comune.
      const scopeWhere = !['prestazioni', 'sina'].includes(cubeName) && who === 'ente' ? where.replace(p.where, `comune = '${comune}'`) : where;
      for (const table of report.tables as Row[]) {
        for (const series of table.series as Row[]) {
          if (series.key !== 'proprio' && (table.series as Row[]).length > 1) continue; // comparisons: own territory checked here, others in reports.test.ts
          const result = series.result as Row;
          const dims = (result.columns as Row[]).filter((c) => c.kind === 'dimension').map((c) => c.name as string);
          const measure = (result.columns as Row[]).find((c) => c.kind === 'measure' && MEASURE[c.name as string])?.name as string | undefined;
          if (!measure) continue;
          const m = MEASURE[measure];
          const fact = engine.table(TABLE[cubeName]);
          const published = await protectedTruth(engine, { table: fact, where: `${scopeWhere}${fixed}`, dims: dims.map(dimSql), rule: demo.model.cubes.get(cubeName)!.disclosure! }, m.kind === 'exact' ? {} : { v: m });
          if (m.kind === 'exact') {
            const sql = `SELECT ${dims.map((d, i) => `toString(${dimSql(d)}) AS k${i}`).concat(`${m.sql} AS v`).join(', ')}
                         FROM ${fact} WHERE ${scopeWhere}${fixed}${dims.length ? ` GROUP BY ${dims.map((_, i) => `k${i}`).join(', ')}` : ''}`;
            for (const h of await engine.query<Row>(sql)) {
              const cell = published.get(dims.map((_, i) => h[`k${i}`]).join('|'));
              if (cell) cell.v = Number(h.v);
            }
          }
          const byKey = new Map([...published].map(([k, cell]) => [k, cell.v]));
          const detail = (result.rows as Row[]).filter((x) => !x.rollup);
          t.equal(detail.length, byKey.size, `${table.name}: the cells published with persons`);
          let bad = 0;
          for (const row of detail) {
            const expected = byKey.get(dims.map((d) => String(row[d])).join('|'));
            const got = row[measure] as number;
            if (expected === undefined || Math.abs(got - expected) > 0.011) bad++;
            compared++;
          }
          t.equal(bad, 0, `${table.name}: ${measure} by ${dims.join(', ') || 'total'}`);
        }
      }
    });
  }
}
t.test('a meaningful number of figures was compared', async (t) => {
  t.ok(compared > 500, `${compared} figures`);
});
