/**
 * NDJSON, read and checked row by row in JavaScript (server/load/validate.ts)
 * and written to the staging table in TabSeparated batches. CSV and Parquet
 * are checked by the engine (server/load/engine-read.ts); NDJSON stays here
 * because what it reports cannot come from the engine: a line that is not
 * valid JSON is a rejected row with the parser's own message while the other
 * lines load, where ClickHouse's JSON reader stops the whole file at it.
 */
import { invariant } from '../errors.ts';
import { Transform } from 'node:stream';
import { ByteTally } from './byte-tally.ts';
import { refusalAfterReading } from './guards.ts';
import { referenceData } from './prepare.ts';
import type { Reading, ReadOutcome } from './reading.ts';
import { ndjsonRecords } from './readers.ts';
import { RejectTally, StagingWriter } from './staging.ts';
import { compileValidator } from './validate.ts';

const INSERT_BATCH = 50_000;

export async function readRows(r: Reading): Promise<ReadOutcome> {
  const { engine, input, table, record, progress } = r;
  invariant(input.bytes, 'NDJSON is read from a byte stream');
  const tally = new ByteTally(false);
  const counted = input.bytes.pipe(
    new Transform({
      transform(chunk: Buffer, _e, done) {
        tally.update(chunk);
        progress.bytesRead = tally.bytes;
        done(null, chunk);
      },
    }),
  );
  input.bytes.on('error', (err) => counted.destroy(err));
  const source = ndjsonRecords(counted, input.encoding ?? 'utf-8');
  const validator = compileValidator(table, await referenceData(engine, table));
  const rejects = new RejectTally(input.reportRejects ?? 100);
  const writer = new StagingWriter(engine, r.staging, INSERT_BATCH);
  let lastProgress = 0;
  for await (const rec of source.records) {
    record.rowsRead++;
    const checked = rec.problem ? { ok: false as const, errors: [{ column: '', reason: rec.problem }] } : validator.check(rec.values ?? {});
    if (checked.ok) await writer.add(checked.values);
    else {
      rejects.add(rec.line, checked.errors);
      record.rowsRejected = rejects.rows;
    }
    if (record.rowsRead - lastProgress >= 20_000) {
      lastProgress = record.rowsRead;
      record.rowsAccepted = writer.written;
      progress.report();
    }
  }
  await writer.finish();
  record.rowsAccepted = writer.written;
  const checksum = tally.digest();
  progress.report();
  const refusal = refusalAfterReading({ ...input, ...record, checksum, fileProblems: [], maxRejects: input.maxRejects ?? 0 });
  return { checksum, fileProblems: [], rejects: rejects.summary([], []), refusal };
}
