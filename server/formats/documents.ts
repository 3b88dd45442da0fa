/** The documents the API answers with, and the formats each is offered in: one row per kind, writers from this folder. */
import type { PonSheet } from '../present/pon-grid.ts';
import type { QueryResult } from '../plan/result.ts';
import type { ReportResult } from '../reports/run.ts';
import { csvStream } from './csv.ts';
import { ponXlsxStream } from './pon-xlsx.ts';
import { reportXlsxStream } from './report-xlsx.ts';
import type { DocumentKind } from './table.ts';
import { xlsxStream } from './xlsx.ts';

export const QUERY_ANSWER: DocumentKind<QueryResult, 'json' | 'csv' | 'xlsx'> = {
  formats: ['json', 'csv', 'xlsx'],
  writers: { csv: (r, o) => csvStream(r, o), xlsx: (r, o) => xlsxStream(r, o) },
};

export const REPORT: DocumentKind<ReportResult, 'json' | 'xlsx'> = {
  formats: ['json', 'xlsx'],
  writers: { xlsx: (r, o) => reportXlsxStream(r, o.lang) },
};

export const PON_SHEET: DocumentKind<PonSheet, 'json' | 'xlsx'> = {
  formats: ['json', 'xlsx'],
  writers: { xlsx: (s) => ponXlsxStream(s) },
};
