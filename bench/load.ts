/**
 * Load throughput: the same CSV and Parquet files (N rows) loaded by our
 * loader (every row validated, lookups filled, staging table, swap) and by
 * ClickHouse's own INSERT … SELECT FROM file() into an identical plain table
 * (no validation). Reports rows/s of each and how many times longer ours takes.
 */
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Engine } from '../server/engine/client.ts';
import { runLoad } from '../server/load/run.ts';
import { loadModel, readDir } from '../server/model/load.ts';
import { applyMigration, planMigration } from '../server/tables/migrate.ts';

const CUBE = `kind: cube
name: bench_carichi
label: Benchmark dei caricamenti
table: bench_carichi
source: bench_carichi
hidden: true
tables:
  bench_carichi:
    columns:
      anno: { type: UInt16 }
      beneficiario_id: { type: UInt64 }
      comune: { type: String, codes: { table: territorio, column: comune } }
      ats: { type: String, lookup: { table: territorio, by: comune, column: ats } }
      eta: { type: UInt8 }
      genere: { type: UInt8, values: [1, 2] }
      codice_prestazione: { type: LowCardinality(String), codes: { table: nomenclatore, column: codice_prestazione } }
      importo: { type: "Decimal(18, 2)" }
    order_by: [ats, comune, anno]
    batch: [anno]
dimensions:
  anno: { column: anno, type: integer }
measures:
  righe: { label: Righe, definition: Righe caricate., format: integer, type: count }
`;

export interface LoadBenchResult {
  format: 'csv' | 'parquet';
  rows: number;
  bytes: number;
  ours_s: number;
  ours_rows_per_s: number;
  clickhouse_s: number;
  clickhouse_rows_per_s: number;
  /** How many times longer our load takes than ClickHouse's own insert of the same file. */
  ratio: number;
}

export async function benchLoads(engine: Engine, o: { rows: number; dir: string; log: (l: string) => void }): Promise<LoadBenchResult[]> {
  const model = loadModel({ files: { ...readDir(resolve('cubes')), 'bench/bench_carichi.yaml': CUBE } });
  const T = engine.table('bench_carichi');
  const CH = engine.table('bench_carichi_clickhouse');
  await engine.command(`DROP TABLE IF EXISTS ${T}`);
  await applyMigration(engine, await planMigration(engine, model));
  await engine.command(`DROP TABLE IF EXISTS ${CH}`);
  await engine.command(`CREATE TABLE ${CH} AS ${T}`);

  const dir = resolve(o.dir, 'bench-carichi');
  mkdirSync(dir, { recursive: true });
  const files = { csv: join(dir, 'carichi.csv'), parquet: join(dir, 'carichi.parquet') };
  // Real comune and benefit codes, spread over five years; the ats column is in the file for ClickHouse's sake (our loader recomputes it).
  const [{ np, nc }] = await engine.query<{ np: number; nc: number }>(`SELECT (SELECT count() FROM ${engine.table('territorio')}) AS np, (SELECT count() FROM ${engine.table('nomenclatore')}) AS nc`);
  const select = `
    WITH (SELECT groupArray((comune, ats)) FROM ${engine.table('territorio')}) AS places,
         (SELECT groupArray(codice_prestazione) FROM ${engine.table('nomenclatore')}) AS codes
    SELECT toUInt16(2019 + number % 5) AS anno, number AS beneficiario_id,
           places[1 + number % {np:UInt64}].1 AS comune, places[1 + number % {np:UInt64}].2 AS ats,
           toUInt8(number % 101) AS eta, toUInt8(1 + number % 2) AS genere,
           codes[1 + intDiv(number, 7) % {nc:UInt64}] AS codice_prestazione,
           toDecimal64((number % 100000) / 100, 2) AS importo
    FROM numbers({n:UInt64})`;
  o.log(`[bench] file di ${o.rows.toLocaleString('it-IT')} righe (CSV e Parquet) in ${dir}…`);
  for (const [format, path] of [['CSVWithNames', files.csv], ['Parquet', files.parquet]] as const)
    await engine.command(`INSERT INTO FUNCTION file({path:String}, '${format}') ${select} SETTINGS engine_file_truncate_on_insert = 1`, { path, n: o.rows, np, nc });

  const results: LoadBenchResult[] = [];
  try {
    for (const format of ['csv', 'parquet'] as const) {
      const path = files[format];
      const bytes = statSync(path).size;
      const t0 = performance.now();
      const load = await runLoad(engine, model, { table: 'bench_carichi', format, fileName: path, ...(format === 'csv' ? { bytes: createReadStream(path) } : { path }), totalBytes: bytes });
      const ours = (performance.now() - t0) / 1000;
      const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${T}`);
      if (load.status !== 'succeeded' || Number(n) !== o.rows) throw new Error(`${format}: load ${load.status}, ${n} rows instead of ${o.rows} (${load.error})`);

      await engine.command(`TRUNCATE TABLE ${CH}`);
      const t1 = performance.now();
      await engine.command(`INSERT INTO ${CH} SELECT * FROM file({path:String}, '${format === 'csv' ? 'CSVWithNames' : 'Parquet'}')`, { path });
      const ch = (performance.now() - t1) / 1000;
      const [{ m }] = await engine.query<{ m: number }>(`SELECT count() AS m FROM ${CH}`);
      if (Number(m) !== o.rows) throw new Error(`${format}: ClickHouse inserted ${m} rows instead of ${o.rows}`);

      const r = {
        format, rows: o.rows, bytes,
        ours_s: +ours.toFixed(2), ours_rows_per_s: Math.round(o.rows / ours),
        clickhouse_s: +ch.toFixed(2), clickhouse_rows_per_s: Math.round(o.rows / ch),
        ratio: +(ours / ch).toFixed(1),
      };
      results.push(r);
      o.log(`[bench] caricamento ${format}: nostro ${r.ours_s} s (${r.ours_rows_per_s.toLocaleString('it-IT')} righe/s), ClickHouse ${r.clickhouse_s} s (${r.clickhouse_rows_per_s.toLocaleString('it-IT')} righe/s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await engine.command(`DROP TABLE IF EXISTS ${T}`);
    await engine.command(`DROP TABLE IF EXISTS ${CH}`);
  }
  return results;
}
