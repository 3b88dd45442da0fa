/**
 * Load throughput: the same CSV and Parquet files (N rows) loaded
 *  - by our loader, as `npm run load` runs it (runLoad on the file's path: the
 *    engine reads the file as text, checks every row in SQL with the same
 *    rules and reasons as before — types, codes, the lookup column recomputed
 *    — and writes the valid rows to a staging table, swapped in with EXCHANGE
 *    TABLES; server/load/engine-read.ts), and
 *  - by ClickHouse's own `INSERT INTO t FROM INFILE '…' FORMAT CSVWithNames`
 *    (resp. `FORMAT Parquet`) into an identical plain table: no validation,
 *    the lookup column (ats) taken as it is from the file;
 *  - and, as a second reference, ClickHouse doing the same checks in SQL
 *    (`INSERT … SELECT FROM file()` joined with territorio for ats, codes and
 *    values filtered with IN): what in-engine validation would cost.
 * Reports rows/s of each and the throughput ratio ours / ClickHouse (below 1:
 * ours is slower), plus our loader's split between reading (parse, validate,
 * staging inserts) and committing (partitions, swap, journal).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Engine } from '../server/engine/client.ts';
import { runLoad } from '../server/load/run.ts';
import { loadModel, readDir } from '../server/model/load.ts';
import { applyMigration, planMigration } from '../server/tables/migrate.ts';

/** The benchmark's cube, added in memory to the cubes of cubes/ (nothing is written there). */
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

/** Column order of the generated files (ats included, for ClickHouse's plain insert). */
const FILE_STRUCTURE = 'anno UInt16, beneficiario_id UInt64, comune String, ats String, eta UInt8, genere UInt8, codice_prestazione String, importo Decimal(18, 2)';

/** What each side does, printed with the table and written to the JSON. */
export const LOAD_METHODS = {
  ours: 'runLoad sul percorso del file, come npm run load (server/load): il motore legge il file come testo e controlla ogni riga in SQL (tipi, codici comune e codice_prestazione, genere), ats ricalcolata dal comune (la colonna ats del file è ignorata), righe valide in una tabella di appoggio, ATTACH PARTITION ed EXCHANGE TABLES, diario; SHA-256 del file calcolato mentre il motore legge',
  clickhouse: "INSERT INTO t FROM INFILE '<file>' FORMAT CSVWithNames | Parquet: nessuna validazione, ats presa dal file",
  clickhouse_checked: "INSERT INTO t SELECT … FROM file('<file>', <formato>, <struttura>) JOIN territorio (ats) WHERE codice_prestazione IN nomenclatore AND genere IN (1, 2): gli stessi controlli in SQL (le righe non valide sarebbero scartate senza rapporto)",
} as const;

export interface LoadBenchResult {
  format: 'csv' | 'parquet';
  rows: number;
  bytes: number;
  ours_s: number;
  ours_rows_per_s: number;
  /** Our loader from the call until the commit starts: setup, parse, validation, staging inserts. */
  ours_read_s: number;
  /** Our loader's commit: partitions attached to the shadow table, EXCHANGE TABLES, journal. */
  ours_commit_s: number;
  clickhouse_s: number;
  clickhouse_rows_per_s: number;
  clickhouse_checked_s: number;
  clickhouse_checked_rows_per_s: number;
  /** Throughput ratio, ours / ClickHouse's plain insert (rows/s over rows/s): 0.1 means ours loads a tenth as many rows per second. */
  ratio: number;
  /** The same against ClickHouse doing the checks in SQL. */
  ratio_checked: number;
}

export async function benchLoads(engine: Engine, o: { rows: number; dir: string; log: (l: string) => void }): Promise<LoadBenchResult[]> {
  const model = loadModel({ files: { ...readDir(resolve('cubes')), 'bench/bench_carichi.yaml': CUBE } });
  const T = engine.table('bench_carichi');
  const CH = engine.table('bench_carichi_clickhouse');
  const dir = resolve(o.dir, 'bench-carichi');
  const files = { csv: join(dir, 'carichi.csv'), parquet: join(dir, 'carichi.parquet') };
  const results: LoadBenchResult[] = [];
  try {
    await engine.command(`DROP TABLE IF EXISTS ${T}`);
    await applyMigration(engine, await planMigration(engine, model));
    await engine.command(`DROP TABLE IF EXISTS ${CH}`);
    await engine.command(`CREATE TABLE ${CH} AS ${T}`);

    mkdirSync(dir, { recursive: true });
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
    const t = performance.now();
    for (const [format, path] of [['CSVWithNames', files.csv], ['Parquet', files.parquet]] as const)
      await engine.command(`INSERT INTO FUNCTION file({path:String}, '${format}') ${select} SETTINGS engine_file_truncate_on_insert = 1`, { path, n: o.rows, np, nc });
    o.log(`[bench] file di ${o.rows.toLocaleString('it-IT')} righe (CSV e Parquet) generati dal motore in ${dir} (${((performance.now() - t) / 1000).toFixed(1)} s)`);

    const count = async (table: string) => Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM ${table}`))[0].n);
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };

    for (const format of ['csv', 'parquet'] as const) {
      const path = files[format];
      const chFormat = format === 'csv' ? 'CSVWithNames' : 'Parquet';
      const bytes = statSync(path).size;

      // (a)/(b) our loader
      let committingAt: number | undefined;
      const t0 = performance.now();
      const load = await runLoad(engine, model, {
        table: 'bench_carichi', format, fileName: path, totalBytes: bytes,
        path,
        onProgress: (p) => void (p.phase === 'committing' && (committingAt ??= performance.now())),
      });
      const end = performance.now();
      const ours = (end - t0) / 1000;
      const loaded = await count(T);
      if (load.status !== 'succeeded' || load.rowsAccepted !== o.rows || loaded !== o.rows)
        throw new Error(`${format}: caricamento ${load.status}, ${load.rowsAccepted} righe accettate e ${loaded} nella tabella invece di ${o.rows} (${load.error || JSON.stringify(load.rejects.totals.slice(0, 3))})`);
      const readS = ((committingAt ?? end) - t0) / 1000;

      // (c)/(d) ClickHouse's own insert of the same file
      await engine.command(`TRUNCATE TABLE ${CH}`);
      // FROM INFILE takes a string literal only (no query parameter): the path is ours, quoted here.
      const ch = await timed(() => engine.command(`INSERT INTO ${CH} FROM INFILE ${sqlString(path)} FORMAT ${chFormat}`));
      if ((await count(CH)) !== o.rows) throw new Error(`${format}: ClickHouse ha inserito ${await count(CH)} righe invece di ${o.rows}`);

      // ClickHouse with the same checks and the lookup done in SQL
      await engine.command(`TRUNCATE TABLE ${CH}`);
      const checked = await timed(() =>
        engine.command(
          `INSERT INTO ${CH} (anno, beneficiario_id, comune, ats, eta, genere, codice_prestazione, importo)
           SELECT f.anno, f.beneficiario_id, f.comune, t.ats, f.eta, f.genere, f.codice_prestazione, f.importo
           FROM file({path:String}, '${chFormat}', '${FILE_STRUCTURE}') AS f
           INNER JOIN ${engine.table('territorio')} AS t ON t.comune = f.comune
           WHERE f.genere IN (1, 2) AND f.codice_prestazione IN (SELECT codice_prestazione FROM ${engine.table('nomenclatore')})`,
          { path },
        ),
      );
      if ((await count(CH)) !== o.rows) throw new Error(`${format}: ClickHouse con controlli ha inserito ${await count(CH)} righe invece di ${o.rows}`);

      const rate = (s: number) => Math.round(o.rows / s);
      const r: LoadBenchResult = {
        format, rows: o.rows, bytes,
        ours_s: +ours.toFixed(2), ours_rows_per_s: rate(ours),
        ours_read_s: +readS.toFixed(2), ours_commit_s: +(ours - readS).toFixed(2),
        clickhouse_s: +ch.toFixed(2), clickhouse_rows_per_s: rate(ch),
        clickhouse_checked_s: +checked.toFixed(2), clickhouse_checked_rows_per_s: rate(checked),
        ratio: +(ch / ours).toFixed(3),
        ratio_checked: +(checked / ours).toFixed(3),
      };
      results.push(r);
      o.log(
        `[bench] caricamento ${format}: nostro ${r.ours_s} s (${r.ours_rows_per_s.toLocaleString('it-IT')} righe/s; lettura e validazione ${r.ours_read_s} s, commit ${r.ours_commit_s} s), ` +
          `ClickHouse ${r.clickhouse_s} s (${r.clickhouse_rows_per_s.toLocaleString('it-IT')} righe/s), con controlli in SQL ${r.clickhouse_checked_s} s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await engine.command(`DROP TABLE IF EXISTS ${T}`).catch(() => undefined);
    await engine.command(`DROP TABLE IF EXISTS ${CH}`).catch(() => undefined);
  }
  return results;
}

const sqlString = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** The table printed by `npm run bench`. */
export function printLoads(loads: readonly LoadBenchResult[], log: (l: string) => void = console.log): void {
  if (!loads.length) return;
  log(`\nCaricamenti di ${loads[0].rows.toLocaleString('it-IT')} righe, stesso file per ogni colonna:`);
  log(`  nostro:                 ${LOAD_METHODS.ours}`);
  log(`  ClickHouse:             ${LOAD_METHODS.clickhouse}`);
  log(`  ClickHouse + controlli: ${LOAD_METHODS.clickhouse_checked}`);
  log('  nostro/CH = righe/s nostre diviso righe/s di ClickHouse (sotto 1: il nostro è più lento; 0,10 = un decimo)\n');
  console.table(
    loads.map((r) => ({
      formato: r.format,
      MB: +(r.bytes / 1e6).toFixed(1),
      'nostro s': r.ours_s,
      'lettura+validazione s': r.ours_read_s,
      'commit s': r.ours_commit_s,
      'nostro righe/s': r.ours_rows_per_s,
      'CH righe/s': r.clickhouse_rows_per_s,
      'nostro/CH': r.ratio,
      'CH+controlli righe/s': r.clickhouse_checked_rows_per_s,
      'nostro/CH+controlli': r.ratio_checked,
    })),
  );
}
