/** The small pieces of a load without an engine: multipart bodies cut anywhere, separator and encoding detection, digest headers, the shrink rule. */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { checkShrink, digestFromHeaders, sha256Hex } from '../server/load/guards.ts';
import { spoolMultipart, type SpooledPart } from '../server/load/multipart.ts';
import { bestSeparator, guessEncoding, sniffCsv } from '../server/load/sniff.ts';
import { sweepSpools } from '../server/load/spool.ts';

const dir = mkdtempSync(join(tmpdir(), 'pas-parts-'));
const B = 'xYz123';
const body = Buffer.concat([
  Buffer.from(`--${B}\r\ncontent-disposition: form-data; name="pon_nuclei"; filename="n.csv"\r\n\r\n`),
  Buffer.from('a,b\r\n1,2\r\n--not-the-boundary\r\n'),
  Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="pon_servizi"; filename="s.csv"\r\ncontent-type: text/csv\r\n\r\n`),
  Buffer.from('caff\xe8;1\n', 'latin1'),
  Buffer.from(`\r\n--${B}--\r\n`),
]);

t.test('multipart: every part written whole, whatever the chunk boundaries', async (t) => {
  for (const size of [1, 2, 3, 7, 13, 64, body.length]) {
    const chunks = [];
    for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));
    const parts: SpooledPart[] = [];
    await spoolMultipart(Readable.from(chunks), B, dir, parts);
    t.same(parts.map((p) => [p.name, p.fileName, p.size]), [['pon_nuclei', 'n.csv', 30], ['pon_servizi', 's.csv', 8]], `chunks of ${size}`);
    t.equal(readFileSync(parts[0].path, 'utf8'), 'a,b\r\n1,2\r\n--not-the-boundary\r\n');
    t.same(readFileSync(parts[1].path), Buffer.from('caff\xe8;1\n', 'latin1'));
  }
  const cut: SpooledPart[] = [];
  await t.rejects(spoolMultipart(Readable.from([body.subarray(0, 120)]), B, dir, cut), { message: 'corpo multipart incompleto: manca il delimitatore finale (invio interrotto?)' }, 'a body cut before its final delimiter');
  t.equal(cut.length, 1, 'the part written so far is handed back for deletion');
  t.ok(sweepSpools(dir).length >= 15);
  t.same(readdirSync(dir), []);
});

t.test('separator and encoding from the head of the file', async (t) => {
  const cols = ['anno', 'comune', 'note'];
  t.equal(bestSeparator('anno;comune;note', cols), ';');
  t.equal(bestSeparator('anno\tcomune\tnote', cols), '\t');
  t.equal(bestSeparator('"anno;x",comune,note', cols), ',', 'a separator inside quotes does not count');
  t.equal(bestSeparator('qualcosa', cols), ',', 'nothing splits: the default');
  const latin1 = Buffer.from('anno;note\n2024;citt\xe0\n2025;x', 'latin1');
  t.equal(guessEncoding(latin1, true), 'latin1');
  t.equal(guessEncoding(Buffer.from('anno;note\n2024;città\n'), true), 'utf-8');
  const cutUtf8 = Buffer.from('anno;note\n2024;città').subarray(0, -1);
  t.equal(guessEncoding(cutUtf8, false), 'utf-8', 'a character cut by the end of the head is not a Latin-1 sign');
  const s = await sniffCsv(Readable.from([latin1.subarray(0, 5), latin1.subarray(5)]), { expected: cols });
  t.same([s.separator, s.encoding], [';', 'latin1']);
  const all: Buffer[] = [];
  for await (const c of s.bytes) all.push(c as Buffer);
  t.same(Buffer.concat(all), latin1, 'the bytes handed on untouched');
  const given = await sniffCsv(Readable.from([latin1]), { expected: cols, separator: ',', encoding: 'utf-8' });
  t.same([given.separator, given.encoding, given.notes, given.best], [',', 'utf-8', [], ';'], 'given options win; the best separator is kept for a hint');
});

t.test('digests: hex or base64, Content-Digest (RFC 9530) and Digest (RFC 3230)', async (t) => {
  const hex = 'ab'.repeat(32);
  const b64 = Buffer.from(hex, 'hex').toString('base64');
  t.equal(sha256Hex(hex.toUpperCase()), hex);
  t.equal(sha256Hex(b64), hex);
  t.equal(sha256Hex('abc'), undefined);
  t.equal(digestFromHeaders({ 'content-digest': `sha-512=:AAAA:, sha-256=:${b64}:` }), hex);
  t.equal(digestFromHeaders({ digest: `MD5=xx, SHA-256=${b64}` }), hex);
  t.equal(digestFromHeaders({ 'content-digest': 'sha-512=:AAAA:' }), undefined);
});

t.test('the shrink rule per batch', async (t) => {
  const o = { share: 0.8, allow: false, replacingDemo: false };
  t.equal(checkShrink('x', [{ batch: '2023', replaced: 100, loaded: 80 }], o), undefined, 'exactly 80 %');
  t.equal(checkShrink('x', [{ batch: '2023', replaced: 100, loaded: 79 }, { batch: '2024', replaced: 0, loaded: 5 }], o)?.kind, 'shrink');
  t.match(checkShrink('x', [{ batch: '', replaced: 10, loaded: 1 }], o)?.message, /tabella x: 1 righe nuove al posto di 10/);
  t.equal(checkShrink('x', [{ batch: '2023', replaced: 100, loaded: 1 }], { ...o, allow: true }), undefined);
  t.equal(checkShrink('x', [{ batch: '', replaced: 100, loaded: 1 }], { ...o, replacingDemo: true }), undefined);
});
