/** The PON sheet for the workbook: the same rows as the server's .xlsx (server/present/pon-grid.ts). */
import { paintable } from '../../server/present/grid.ts';
import { ponRows, type PonSheet } from '../../server/present/pon-grid.ts';
import type { Lang } from './i18n.ts';

export function ponGrid(s: PonSheet, lang: Lang) {
  return { grid: paintable(ponRows(s, lang), 4), dataDate: s.fine_periodo };
}
