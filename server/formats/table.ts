/**
 * The one table of output formats, shared by queries, reports and the PON
 * sheet: each format's media type and file extension; each kind of document
 * says which formats it has and how each is written. Adding a format is a row
 * here and a writer per document kind that offers it; routes only call `answer`.
 *
 * JSON is the document itself: the route returns it and Fastify serialises it
 * against the route's response schema. The other formats are streams.
 */
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Lang } from '../present/crosstab.ts';

export const OUTPUT_FORMATS = {
  json: { mediaType: 'application/json; charset=utf-8', accept: ['application/json', 'application/*', '*/*'], extension: 'json', attachment: false },
  csv: { mediaType: 'text/csv; charset=utf-8; header=present', accept: ['text/csv'], extension: 'csv', attachment: true },
  xlsx: { mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', accept: ['spreadsheetml', 'application/vnd.ms-excel'], extension: 'xlsx', attachment: true },
} as const satisfies Record<string, { mediaType: string; accept: readonly string[]; extension: string; attachment: boolean }>;

export type FormatName = keyof typeof OUTPUT_FORMATS;
export const FORMAT_NAMES = Object.keys(OUTPUT_FORMATS) as FormatName[];

export interface WriteOptions {
  lang: Lang;
}

/** A kind of document (a query answer, a report, the PON sheet): the formats it is offered in and how each is written. */
export interface DocumentKind<T, F extends FormatName = FormatName> {
  formats: readonly F[];
  writers: { [K in Exclude<F, 'json'>]: (doc: T, opts: WriteOptions) => Readable };
}

/** The `?format=` parameter of a route serving this kind of document. */
export function formatParam<T, F extends FormatName>(kind: DocumentKind<T, F>) {
  return z.enum(kind.formats as [F, ...F[]]).optional().describe(`${kind.formats.join(', ')} (default json); or use the Accept header`);
}

/** The format asked for by `?format=`, else by the Accept header; json by default. */
export function chooseFormat<T, F extends FormatName>(kind: DocumentKind<T, F>, queryFormat: string | undefined, accept: string | undefined): F {
  const offered = kind.formats;
  if (queryFormat) {
    if ((offered as readonly string[]).includes(queryFormat)) return queryFormat as F;
    throw new AppError('NOT_ACCEPTABLE', `Formato "${queryFormat}" non disponibile: usare ${offered.join(', ')}.`);
  }
  if (!accept) return 'json' as F;
  const found = offered.find((f) => OUTPUT_FORMATS[f].accept.some((a) => accept.includes(a)));
  if (found) return found;
  throw new AppError('NOT_ACCEPTABLE', `Nessuno dei tipi richiesti (${accept}) è disponibile: usare ${offered.map((f) => OUTPUT_FORMATS[f].mediaType).join(', ')}.`);
}

/**
 * Sends `doc` in `format` with the headers that describe it. JSON is sent as
 * the object, so Fastify serialises it with the route's response schema;
 * the other formats as the writer's stream.
 */
export function answer<T, F extends FormatName>(reply: FastifyReply, kind: DocumentKind<T, F>, doc: T, format: F, headers: Record<string, string>, opts: WriteOptions): FastifyReply {
  reply.headers(headers).type(OUTPUT_FORMATS[format].mediaType);
  if (format === 'json') return reply.send(doc);
  const write = (kind.writers as Record<string, (doc: T, opts: WriteOptions) => Readable>)[format];
  return reply.send(write(doc, opts));
}
