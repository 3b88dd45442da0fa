/**
 * Refresh bookkeeping: every block the pane inserts is remembered in the
 * workbook's settings (not in hidden cells a user can break) with its query,
 * so that "Refresh" and "Refresh all" can re-run it next quarter.
 */
import type { QuerySpecInput } from '../../server/plan/spec.ts';

export interface Block {
  id: string;
  kind: 'pivot' | 'table' | 'pon' | 'report';
  sheet: string;
  /** Top-left cell, A1 style (e.g. "B3"). */
  anchor: string;
  rows: number;
  columns: number;
  cube?: string;
  query?: QuerySpecInput;
  pon?: { fine_periodo: string; ats?: string };
  report?: { name: string; territorio?: string; filtri: Record<string, (string | number)[]> };
  lang: 'it' | 'en';
  dataDate: string;
  /** Data version of the answer (id of the last load of its source), when the server gives one. */
  dataVersion?: string;
  /** Number of Excel charts the block owns (reports), named pas_<id>_<i>. */
  charts?: number;
  insertedAt: string;
}

export const SETTINGS_KEY = 'pas.blocks';

export function parseBlocks(json: string | null | undefined): Block[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? (value as Block[]) : [];
  } catch {
    return [];
  }
}

/** Column letters <-> index (0-based). */
export function columnName(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
export function columnIndex(name: string): number {
  return [...name.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
}

export interface Cell {
  row: number; // 0-based
  col: number; // 0-based
}

export function parseCell(a1: string): Cell {
  const m = /^(?:.*!)?\$?([A-Z]{1,3})\$?(\d+)/i.exec(a1);
  if (!m) throw new Error(`not a cell address: ${a1}`);
  return { col: columnIndex(m[1]), row: Number(m[2]) - 1 };
}

export function cellName(c: Cell): string {
  return `${columnName(c.col)}${c.row + 1}`;
}

export function rangeName(top: Cell, rows: number, columns: number): string {
  return `${cellName(top)}:${cellName({ row: top.row + rows - 1, col: top.col + columns - 1 })}`;
}

/** The block containing a cell of a sheet, if any. */
export function blockAt(blocks: readonly Block[], sheet: string, cell: Cell): Block | undefined {
  return blocks.find((b) => {
    const top = parseCell(b.anchor);
    return b.sheet === sheet && cell.row >= top.row && cell.row < top.row + b.rows && cell.col >= top.col && cell.col < top.col + b.columns;
  });
}

/**
 * The ranges a resized block would newly cover (outside its old rectangle):
 * they must be empty before refreshing, or the user's cells would be lost.
 */
export function growthRanges(block: Block, rows: number, columns: number): string[] {
  const top = parseCell(block.anchor);
  const out: string[] = [];
  if (columns > block.columns) out.push(rangeName({ row: top.row, col: top.col + block.columns }, Math.max(rows, block.rows), columns - block.columns));
  if (rows > block.rows) out.push(rangeName({ row: top.row + block.rows, col: top.col }, rows - block.rows, Math.min(columns, block.columns)));
  return out;
}

/** Two blocks may not overlap: a new block at `cell` of this size must not cover another block. */
export function overlapping(blocks: readonly Block[], sheet: string, top: Cell, rows: number, columns: number, except?: string): Block | undefined {
  return blocks.find((b) => {
    if (b.sheet !== sheet || b.id === except) return false;
    const t = parseCell(b.anchor);
    return top.row < t.row + b.rows && t.row < top.row + rows && top.col < t.col + b.columns && t.col < top.col + columns;
  });
}
