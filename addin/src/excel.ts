/**
 * Everything the pane does to the workbook, through the Excel JavaScript API
 * (ExcelApi 1.4). Typed against the small part of the object model it uses, so
 * that tests run it against a faithful fake of that model (no Excel here).
 */
import type { Grid, GridValue } from '../../server/present/grid.ts';
import type { ChartSpec } from '../../server/present/report-grid.ts';
import { shortenTitle } from '../../server/present/sheet-names.ts';
import { blockAt, growthRanges, overlapping, parseBlocks, parseCell, rangeName, SETTINGS_KEY, type Block } from './blocks.ts';

export interface RangeLike {
  address: string;
  values: unknown[][];
  numberFormat: unknown[][];
  format: { font: { bold: boolean; italic: boolean; color: string }; autofitColumns(): void };
  worksheet: WorksheetLike;
  load(props: string): RangeLike;
  clear(): void;
}
export interface WorksheetLike {
  name: string;
  getRange(address: string): RangeLike;
  load(props: string): WorksheetLike;
  activate(): void;
  tables: { add(address: string, hasHeaders: boolean): { name: string } };
  charts: {
    add(type: string, source: RangeLike, seriesBy?: string): ChartLike;
    getItemOrNullObject(name: string): ChartLike & { isNullObject: boolean };
  };
}
export interface ChartLike {
  name: string;
  title: { text: string };
  setData(source: RangeLike, seriesBy?: string): void;
  delete(): void;
}
export interface SettingLike {
  value: unknown;
  isNullObject: boolean;
  load(props: string): SettingLike;
}
export interface ContextLike {
  workbook: {
    getSelectedRange(): RangeLike;
    worksheets: { getItem(name: string): WorksheetLike; add(name: string): WorksheetLike; getItemOrNullObject(name: string): WorksheetLike & { isNullObject: boolean } };
    settings: { add(key: string, value: unknown): void; getItemOrNullObject(key: string): SettingLike };
  };
  sync(): Promise<void>;
}

export class CollisionError extends Error {
  constructor(readonly range: string) {
    super(`cells not empty: ${range}`);
    this.name = 'CollisionError';
  }
}

const toExcel = (v: GridValue) => (v === null ? '' : v);

export async function readBlocks(ctx: ContextLike): Promise<Block[]> {
  const setting = ctx.workbook.settings.getItemOrNullObject(SETTINGS_KEY).load('value');
  await ctx.sync();
  return setting.isNullObject ? [] : parseBlocks(String(setting.value));
}

function saveBlocks(ctx: ContextLike, blocks: Block[]): void {
  ctx.workbook.settings.add(SETTINGS_KEY, JSON.stringify(blocks));
}

async function ensureEmpty(ctx: ContextLike, sheet: WorksheetLike, ranges: string[]): Promise<void> {
  const loaded = ranges.map((r) => sheet.getRange(r).load('values'));
  await ctx.sync();
  loaded.forEach((range, i) => {
    if (range.values.some((row) => row.some((v) => v !== '' && v !== null))) throw new CollisionError(ranges[i]);
  });
}

function paint(sheet: WorksheetLike, anchor: string, grid: Pick<Grid, 'values' | 'formats' | 'bold' | 'width'> & { suppressed?: [number, number][] }): void {
  const top = parseCell(anchor);
  const rows = grid.values.length;
  const all = sheet.getRange(rangeName(top, rows, grid.width));
  all.values = grid.values.map((r) => r.map(toExcel));
  all.numberFormat = grid.formats;
  grid.bold.forEach((b, r) => {
    if (b) sheet.getRange(rangeName({ row: top.row + r, col: top.col }, 1, grid.width)).format.font.bold = true;
  });
  for (const [r, c] of grid.suppressed ?? []) sheet.getRange(rangeName({ row: top.row + r, col: top.col + c }, 1, 1)).format.font.color = '#888888';
  all.format.autofitColumns();
}

/** Where the user's selection starts: sheet and top-left cell. */
export async function selection(ctx: ContextLike): Promise<{ sheet: WorksheetLike; sheetName: string; anchor: string }> {
  const range = ctx.workbook.getSelectedRange().load('address');
  await ctx.sync();
  const [sheetName, address] = range.address.includes('!') ? [range.address.slice(0, range.address.lastIndexOf('!')).replace(/^'|'$/g, ''), range.address.slice(range.address.lastIndexOf('!') + 1)] : ['', range.address];
  const sheet = ctx.workbook.worksheets.getItem(sheetName);
  return { sheet, sheetName, anchor: address.split(':')[0].replace(/\$/g, '') };
}

export interface InsertRequest {
  kind: Block['kind'];
  grid: Pick<Grid, 'values' | 'formats' | 'bold' | 'width'> & { suppressed?: [number, number][] };
  cube?: string;
  query?: Block['query'];
  pon?: Block['pon'];
  lang: Block['lang'];
  dataDate: string;
  dataVersion?: string;
  /** Write into this new sheet instead of at the selection. */
  newSheet?: string;
  /** Turn the written range into an Excel table (flat results). */
  asTable?: boolean;
  /** Excel charts over parts of the block (reports). */
  charts?: ChartSpec[];
  report?: Block['report'];
}

const CHART_TYPES: Record<ChartSpec['type'], string> = { bar: 'ColumnClustered', pie: 'Pie', line: 'Line' };

/** The i-th chart of a block: named so that a refresh finds it again. */
const chartName = (blockId: string, i: number) => `pas_${blockId}_${i}`;
const chartSource = (sheet: WorksheetLike, top: { row: number; col: number }, c: ChartSpec) =>
  sheet.getRange(rangeName({ row: top.row + c.top, col: top.col + c.left }, c.bottom - c.top + 1, c.right - c.left + 1));

/** After a report block is repainted: its charts plot the new ranges; charts of series that are gone are deleted, new ones added. */
async function refreshCharts(ctx: ContextLike, sheet: WorksheetLike, block: Block, charts: ChartSpec[]): Promise<void> {
  const top = parseCell(block.anchor);
  const count = Math.max(block.charts ?? 0, charts.length);
  const existing = Array.from({ length: count }, (_, i) => sheet.charts.getItemOrNullObject(chartName(block.id, i)));
  await ctx.sync();
  existing.forEach((chart, i) => {
    const spec = charts[i];
    if (!spec) {
      if (!chart.isNullObject) chart.delete();
      return;
    }
    if (chart.isNullObject) {
      const added = sheet.charts.add(CHART_TYPES[spec.type], chartSource(sheet, top, spec), 'Auto');
      added.name = chartName(block.id, i);
      added.title.text = spec.title;
    } else {
      chart.setData(chartSource(sheet, top, spec), 'Auto');
      chart.title.text = spec.title;
    }
  });
}

/** Inserts a block at the selection (or on a new sheet), refusing to overwrite the user's cells or another block. */
export async function insertBlock(ctx: ContextLike, req: InsertRequest, now = new Date()): Promise<Block> {
  const blocks = await readBlocks(ctx);
  let sheet: WorksheetLike;
  let sheetName: string;
  let anchor: string;
  if (req.newSheet) {
    const existing = ctx.workbook.worksheets.getItemOrNullObject(req.newSheet);
    await ctx.sync();
    sheetName = existing.isNullObject ? req.newSheet : `${shortenTitle(req.newSheet, 26)} (${blocks.length + 1})`;
    sheet = ctx.workbook.worksheets.add(sheetName);
    sheet.activate();
    anchor = 'A1';
  } else {
    ({ sheet, sheetName, anchor } = await selection(ctx));
  }
  const rows = req.grid.values.length;
  const top = parseCell(anchor);
  const other = overlapping(blocks, sheetName, top, rows, req.grid.width);
  if (other) throw new CollisionError(rangeName(parseCell(other.anchor), other.rows, other.columns));
  await ensureEmpty(ctx, sheet, [rangeName(top, rows, req.grid.width)]);
  paint(sheet, anchor, req.grid);
  if (req.asTable) sheet.tables.add(rangeName(top, rows, req.grid.width), true);
  const id = `b${now.getTime().toString(36)}${blocks.length}`;
  (req.charts ?? []).forEach((c, i) => {
    const chart = sheet.charts.add(CHART_TYPES[c.type], chartSource(sheet, top, c), 'Auto');
    chart.name = chartName(id, i);
    chart.title.text = c.title;
  });
  const block: Block = {
    id,
    kind: req.kind,
    sheet: sheetName,
    anchor,
    rows,
    columns: req.grid.width,
    cube: req.cube,
    query: req.query,
    pon: req.pon,
    report: req.report,
    lang: req.lang,
    dataDate: req.dataDate,
    ...(req.dataVersion ? { dataVersion: req.dataVersion } : {}),
    ...(req.charts?.length ? { charts: req.charts.length } : {}),
    insertedAt: now.toISOString(),
  };
  saveBlocks(ctx, [...blocks, block]);
  await ctx.sync();
  return block;
}

/** The block under the selection, if any. */
export async function selectedBlock(ctx: ContextLike): Promise<Block | undefined> {
  const [{ sheetName, anchor }, blocks] = await Promise.all([selection(ctx), readBlocks(ctx)]);
  return blockAt(blocks, sheetName, parseCell(anchor));
}

/**
 * Rewrites a block with a fresh grid. If it grew, the newly covered cells must
 * be empty: otherwise nothing is written and a CollisionError names them.
 */
/** What a fresh answer says about its data: the "as of" date and, when the server gives it, the data version. */
export interface DataStamp {
  dataDate: string;
  dataVersion?: string;
}

/** Whether the data behind a block changed: by data version when both answers have one (a new load), else by date. */
export function dataChanged(before: DataStamp, after: DataStamp): boolean {
  return before.dataVersion && after.dataVersion ? before.dataVersion !== after.dataVersion : before.dataDate !== after.dataDate;
}

export async function refreshBlock(ctx: ContextLike, block: Block, grid: InsertRequest['grid'], stamp: DataStamp, charts?: ChartSpec[]): Promise<{ block: Block; dataChanged: boolean }> {
  const sheet = ctx.workbook.worksheets.getItem(block.sheet);
  const rows = grid.values.length;
  const blocks = await readBlocks(ctx);
  const top = parseCell(block.anchor);
  const other = overlapping(blocks, block.sheet, top, rows, grid.width, block.id);
  if (other) throw new CollisionError(rangeName(parseCell(other.anchor), other.rows, other.columns));
  const growth = growthRanges(block, rows, grid.width);
  if (growth.length) await ensureEmpty(ctx, sheet, growth);
  // The old rectangle is cleared (a smaller answer leaves no stale cells), then the new one painted.
  sheet.getRange(rangeName(top, block.rows, block.columns)).clear();
  paint(sheet, block.anchor, grid);
  if (charts) await refreshCharts(ctx, sheet, block, charts);
  const updated: Block = { ...block, rows, columns: grid.width, dataDate: stamp.dataDate, ...(stamp.dataVersion ? { dataVersion: stamp.dataVersion } : {}), ...(charts ? { charts: charts.length } : {}) };
  saveBlocks(ctx, blocks.map((b) => (b.id === block.id ? updated : b)));
  await ctx.sync();
  return { block: updated, dataChanged: dataChanged(block, stamp) };
}
