/**
 * Peak memory of a 100,000-row XLSX export, streamed to nowhere:
 * `node --import tsx --expose-gc bench/export-memory.ts [rows]`.
 * Prints the process's peak RSS above its RSS before the export.
 */
import { Writable } from 'node:stream';
import { xlsxStream } from '../server/formats/xlsx.ts';
import type { QueryResult, ResultRow } from '../server/plan/result.ts';

const n = Number(process.argv[2] ?? 100_000);
const rows: ResultRow[] = [];
for (let i = 0; i < n; i++) rows.push({ comune: `C${String(i).padStart(6, '0')}`, anno: 2020 + (i % 4), beneficiari: i % 997, importo: (i % 1000) * 12.34, quota: (i % 50) / 10000 });
const result: QueryResult = {
  cube: 'bench', cubeLabel: { it: 'Bench' },
  columns: [
    { name: 'comune', kind: 'dimension', axis: 'rows', label: { it: 'Comune' }, format: 'text', type: 'string' },
    { name: 'anno', kind: 'dimension', axis: 'rows', label: { it: 'Anno' }, format: 'text', type: 'integer' },
    { name: 'beneficiari', kind: 'measure', label: { it: 'Beneficiari' }, format: 'integer' },
    { name: 'importo', kind: 'measure', label: { it: 'Importo' }, format: 'euro' },
    { name: 'quota', kind: 'measure', label: { it: 'Quota' }, format: 'percent' },
  ],
  rows, labels: { comune: {}, anno: {} }, filters: [], dataDate: '2026-01-01T00:00:00Z', dataVersion: 'bench', demo: false, truncated: false,
};
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
let bytes = 0;
await new Promise((resolve, reject) => xlsxStream(result).pipe(new Writable({ write(c: Buffer, _e, done) { bytes += c.length; done(); } })).on('finish', resolve).on('error', reject));
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`${n} righe: ${(bytes / 1e6).toFixed(1)} MB di XLSX, memoria di picco +${Math.round((peak - before) / 1e6)} MB`);
