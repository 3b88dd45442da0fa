/**
 * The task pane: sign in, build a pivot, preview it, insert it (as a grid or
 * an Excel table), refresh inserted blocks, insert the PON sheet. Office.js
 * is loaded by taskpane.html; outside Excel the pane still previews.
 */
import { toFlatTable, toGrid, type Grid } from '../../server/present/grid.ts';
import { labelText } from '../../server/present/crosstab.ts';
import type { QueryResult } from '../../server/plan/result.ts';
import { Api, ApiError, describeToken, type CubeDescription, type PonScheda, type ReportListing } from './api.ts';
import type { Block } from './blocks.ts';
import { CollisionError, insertBlock, readBlocks, refreshBlock, selectedBlock, type ContextLike, type InsertRequest } from './excel.ts';
import { t, type Lang } from './i18n.ts';
import { emptyState, toggleAxis, toSpec, type BuilderState } from './query-builder.ts';
import { ponGrid } from './pon-grid.ts';
import { reportGrid, type ChartSpec } from '../../server/present/report-grid.ts';
import { shortenTitle } from '../../server/present/sheet-names.ts';
import { userStorage } from './storage.ts';

declare const Excel: { run<T>(fn: (ctx: ContextLike) => Promise<T>): Promise<T> } | undefined;
declare const Office: { onReady(cb: (info: { host: string | null }) => void): void } | undefined;

const STORAGE = 'pas.credentials';
const LANG = 'pas.lang';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let lang: Lang = (localStorage.getItem(LANG) as Lang) ?? 'it';
let api: Api | undefined;
let cube: CubeDescription | undefined;
let state: BuilderState | undefined;
let last: QueryResult | undefined;
let inExcel = false;
let reports: ReportListing[] = [];
/** Report filter choices: dimension -> keys. */
let reportFilters: Record<string, (string | number)[]> = {};

/** The chosen report's filters with their values in the caller's scope (filters with many values: by code in the territory box or the pivot). */
function renderReportFilters() {
  const report = reports.find((r) => r.name === $<HTMLSelectElement>('report').value);
  reportFilters = {};
  $('report-filters').replaceChildren(
    ...(report?.filters ?? [])
      .filter((f) => f.values)
      .map((f) => {
        const label = document.createElement('label');
        label.textContent = labelText(f.label, lang);
        const select = document.createElement('select');
        select.multiple = true;
        select.id = `rf-${f.dimension}`;
        select.size = Math.min(4, f.values!.length);
        for (const v of f.values!) select.add(new Option(labelText(v.label, lang), String(v.key)));
        select.addEventListener('change', () => {
          reportFilters[f.dimension] = [...select.selectedOptions].map((o) => (typeof f.values![0].key === 'number' ? Number(o.value) : o.value));
        });
        label.append(select);
        return label;
      }),
  );
}

function status(message: string, kind: 'info' | 'error' | 'busy' = 'info') {
  const el = $('status');
  el.textContent = message;
  el.className = `status ${kind}`;
}

async function withExcel<T>(fn: (ctx: ContextLike) => Promise<T>): Promise<T> {
  if (typeof Excel === 'undefined') throw new Error(lang === 'it' ? 'Apri il riquadro dentro Excel per inserire i dati.' : 'Open the pane inside Excel to insert data.');
  return Excel.run(fn);
}

async function guarded(work: () => Promise<void>) {
  status(t(lang, 'working'), 'busy');
  document.body.classList.add('busy');
  try {
    await work();
  } catch (err) {
    if (err instanceof CollisionError) status(t(lang, 'collision', { range: err.range }), 'error');
    else if (err instanceof ApiError) {
      status(err.message, 'error');
      if (err.status === 401) signOut(false);
    } else status(t(lang, 'errGeneric', { detail: (err as Error).message }), 'error');
  } finally {
    document.body.classList.remove('busy');
  }
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll<HTMLElement>('[data-t]').forEach((el) => (el.textContent = t(lang, el.dataset.t as never)));
  document.querySelectorAll<HTMLInputElement>('[data-t-placeholder]').forEach((el) => (el.placeholder = t(lang, el.dataset.tPlaceholder as never)));
}

function signOut(clear = true) {
  if (clear) void userStorage.remove(STORAGE);
  api = undefined;
  $('signin').hidden = false;
  $('builder').hidden = true;
  $('who').textContent = '';
}

async function signIn(secret: string) {
  api = new Api(location.origin, { secret }, lang);
  const { cubes } = await api.cubes();
  await userStorage.set(STORAGE, secret);
  const who = describeToken(secret);
  $('who').textContent = who ? `${t(lang, 'profile')}: ${who.profile}${who.scope ? ` · ${t(lang, 'scope')}: ${who.scope}` : ''}` : 'API key';
  $('pon').hidden = who?.profile !== 'ats';
  reports = (await api.reports()).reports;
  $<HTMLSelectElement>('report').replaceChildren(...reports.map((r) => new Option(`${r.section} · ${labelText(r.label, lang)}`, r.name)));
  renderReportFilters();
  const select = $<HTMLSelectElement>('cube');
  select.replaceChildren(...cubes.map((c) => new Option(labelText(c.label, lang), c.name)));
  $('demo').hidden = !cubes.some((c) => c.demo);
  await chooseCube(select.value);
  // Shown only when everything is in place, so that nothing is clicked half-loaded.
  $('signin').hidden = true;
  $('builder').hidden = false;
  status('');
}

async function chooseCube(name: string) {
  cube = await api!.cube(name);
  state = emptyState(name);
  state.measures = cube.measures.slice(0, 1).map((m) => m.name);
  renderBuilder();
}

function checkbox(id: string, label: string, checked: boolean, title: string | undefined, onChange: (checked: boolean) => void) {
  const wrap = document.createElement('label');
  wrap.className = 'check';
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.id = id;
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  wrap.append(input, document.createTextNode(` ${label}`));
  if (title) wrap.title = title;
  return wrap;
}

function renderBuilder() {
  if (!cube || !state) return;
  const s = state;
  $('measures').replaceChildren(
    ...cube.measures.map((m) =>
      checkbox(`m-${m.name}`, labelText(m.label, lang), s.measures.includes(m.name), m.definition, (on) => {
        s.measures = on ? [...s.measures, m.name] : s.measures.filter((x) => x !== m.name);
      }),
    ),
  );
  $('dimensions').replaceChildren(
    ...cube.dimensions.map((d) => {
      const row = document.createElement('div');
      row.className = 'dim';
      const axis = document.createElement('select');
      axis.id = `axis-${d.name}`;
      for (const [value, text] of [['none', '—'], ['rows', t(lang, 'rows')], ['columns', t(lang, 'columns')]]) axis.add(new Option(text, value));
      axis.value = s.rows.includes(d.name) ? 'rows' : s.columns.includes(d.name) ? 'columns' : 'none';
      axis.addEventListener('change', () => (state = toggleAxis(state!, d.name, axis.value as 'rows' | 'columns' | 'none')));
      const name = document.createElement('span');
      name.textContent = labelText(d.label, lang);
      const filter = document.createElement('button');
      filter.type = 'button';
      filter.className = 'link';
      filter.id = `filter-${d.name}`;
      const chosen = s.filters[d.name]?.keys.length ?? 0;
      filter.textContent = chosen ? `${t(lang, 'filters')} (${chosen})` : t(lang, 'filters');
      filter.addEventListener('click', () => openPicker(d.name));
      row.append(name, axis, filter);
      return row;
    }),
  );
  $<HTMLInputElement>('totals').checked = s.totals;
  $<HTMLInputElement>('subtotals').checked = s.subtotals;
}

async function openPicker(dimension: string) {
  const picker = $('picker');
  picker.hidden = false;
  picker.dataset.dimension = dimension;
  $('picker-title').textContent = labelText(cube!.dimensions.find((d) => d.name === dimension)!.label, lang);
  const search = $<HTMLInputElement>('picker-search');
  search.value = '';
  await loadMembers();
}

async function loadMembers() {
  const picker = $('picker');
  const dimension = picker.dataset.dimension!;
  const page = await api!.members(cube!.name, dimension, $<HTMLInputElement>('picker-search').value.trim());
  const chosen = state!.filters[dimension]?.keys ?? [];
  $('picker-list').replaceChildren(
    ...page.members.map((m) =>
      checkbox(`pick-${m.key}`, `${labelText(m.label, lang)} (${m.key})`, chosen.includes(m.key), undefined, (on) => {
        const f = state!.filters[dimension] ?? { keys: [], exclude: false };
        f.keys = on ? [...f.keys, m.key] : f.keys.filter((k) => k !== m.key);
        state!.filters[dimension] = f;
      }),
    ),
  );
  $('picker-count').textContent = `${page.members.length} / ${page.total}`;
}

function readOptions() {
  state!.totals = $<HTMLInputElement>('totals').checked;
  state!.subtotals = $<HTMLInputElement>('subtotals').checked;
  if (state!.measures.length === 0) throw new ApiError(400, t(lang, 'pickMeasure'));
}

function renderPreview(grid: Grid) {
  const table = document.createElement('table');
  table.id = 'preview-table';
  grid.values.slice(grid.headerEnd, grid.headerEnd + 21).forEach((row, i) => {
    const tr = table.insertRow();
    row.forEach((v) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      cell.textContent = typeof v === 'number' ? v.toLocaleString(lang === 'it' ? 'it-IT' : 'en-GB', { maximumFractionDigits: 2 }) : (v ?? '');
      tr.append(cell);
    });
  });
  $('preview').replaceChildren(table);
}

async function runQuery(): Promise<QueryResult> {
  readOptions();
  last = await api!.query(cube!.name, toSpec(state!));
  return last;
}

function blockRequestFor(result: QueryResult, spec = toSpec(state!)) {
  return { kind: 'pivot' as const, grid: toGrid(result, lang), cube: cube!.name, query: spec, lang, dataDate: result.dataDate, dataVersion: result.dataVersion };
}

async function refresh(blocks: Block[]) {
  let changed: { from: string; to: string } | undefined;
  for (const [i, block] of blocks.entries()) {
    status(`${t(lang, 'working')} ${i + 1}/${blocks.length}`, 'busy');
    const fresh: { grid: InsertRequest['grid']; dataDate: string; dataVersion?: string; charts?: ChartSpec[] } | undefined =
      block.kind === 'pon' ? ponGrid(await api!.ponScheda(block.pon!), block.lang)
      : block.kind === 'report' ? await api!.report(block.report!.name, block.report!).then((r) => ({ ...reportGrid(r, block.lang), dataDate: r.dataDate, dataVersion: r.dataVersion }))
      : undefined;
    const result = fresh ? undefined : await api!.query(block.cube!, block.query!);
    const grid = fresh?.grid ?? (block.kind === 'table' ? flatGrid(result!, block.lang) : toGrid(result!, block.lang));
    const stamp = fresh ? { dataDate: fresh.dataDate, dataVersion: fresh.dataVersion } : { dataDate: result!.dataDate, dataVersion: result!.dataVersion };
    const out = await withExcel((ctx) => refreshBlock(ctx, block, grid, stamp, fresh?.charts));
    // Tell which data: the versions (load ids) when the server gives them, else the dates.
    if (out.dataChanged && !changed)
      changed = block.dataVersion && stamp.dataVersion ? { from: block.dataVersion, to: stamp.dataVersion } : { from: block.dataDate.slice(0, 10), to: stamp.dataDate.slice(0, 10) };
  }
  status(t(lang, 'refreshed', { n: blocks.length }) + (changed ? ` ${t(lang, 'dataChanged', changed)}` : ''));
}

function flatGrid(result: QueryResult, l: Lang) {
  const flat = toFlatTable(result, l);
  return { values: [flat.header, ...flat.rows], formats: [flat.header.map(() => 'General'), ...flat.rows.map(() => flat.formats)], bold: [true, ...flat.rows.map(() => false)], width: flat.header.length };
}

function wire() {
  $('lang').addEventListener('click', () => {
    lang = lang === 'it' ? 'en' : 'it';
    localStorage.setItem(LANG, lang);
    applyLanguage();
    if (api) void guarded(async () => signIn((await userStorage.get(STORAGE)) ?? ''));
  });
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void guarded(() => signIn($<HTMLTextAreaElement>('token').value.trim()));
  });
  $('signout').addEventListener('click', () => signOut());
  $('cube').addEventListener('change', () => void guarded(() => chooseCube($<HTMLSelectElement>('cube').value)));
  $('picker-search').addEventListener('input', () => void guarded(loadMembers));
  $('picker-close').addEventListener('click', () => {
    $('picker').hidden = true;
    renderBuilder();
  });
  $('picker-exclude').addEventListener('change', (e) => {
    const d = $('picker').dataset.dimension!;
    state!.filters[d] = { ...(state!.filters[d] ?? { keys: [] }), exclude: (e.target as HTMLInputElement).checked };
  });
  $('preview-btn').addEventListener('click', () =>
    void guarded(async () => {
      renderPreview(toGrid(await runQuery(), lang));
      status(`${last!.rows.length} ${lang === 'it' ? 'righe' : 'rows'}${last!.suppression?.primary ? ` · ${t(lang, 'suppressedNote')}` : ''}`);
    }),
  );
  $('insert-btn').addEventListener('click', () =>
    void guarded(async () => {
      const result = await runQuery();
      const block = await withExcel((ctx) => insertBlock(ctx, blockRequestFor(result)));
      status(t(lang, 'inserted', { address: `${block.sheet}!${block.anchor}` }));
    }),
  );
  $('insert-table-btn').addEventListener('click', () =>
    void guarded(async () => {
      const result = await runQuery();
      const flat = toFlatTable(result, lang);
      const block = await withExcel((ctx) => insertBlock(ctx, { kind: 'table', grid: flatGrid(result, lang), cube: cube!.name, query: toSpec(state!), lang, dataDate: result.dataDate, dataVersion: result.dataVersion, asTable: true }));
      status(t(lang, 'inserted', { address: `${block.sheet}!${block.anchor}` }) + (flat.nonAdditive.length ? ` ${t(lang, 'nonAdditive', { measures: flat.nonAdditive.join(', ') })}` : ''));
    }),
  );
  $('refresh-btn').addEventListener('click', () =>
    void guarded(async () => {
      const block = await withExcel(selectedBlock);
      if (!block) return status(t(lang, 'noBlock'), 'error');
      await refresh([block]);
    }),
  );
  $('refresh-all-btn').addEventListener('click', () => void guarded(async () => refresh(await withExcel(readBlocks))));
  $('report').addEventListener('change', renderReportFilters);
  $('report-btn').addEventListener('click', () =>
    void guarded(async () => {
      const name = $<HTMLSelectElement>('report').value;
      const territorio = $<HTMLInputElement>('report-territory').value.trim() || undefined;
      const body = { territorio, filtri: reportFilters };
      const result = await api!.report(name, body);
      const { grid, charts } = reportGrid(result, lang);
      const block = await withExcel((ctx) =>
        insertBlock(ctx, { kind: 'report', grid, charts, report: { name, ...body }, lang, dataDate: result.dataDate, dataVersion: result.dataVersion, newSheet: shortenTitle(labelText(result.label, lang), 24) }),
      );
      status(t(lang, 'inserted', { address: `${block.sheet}!${block.anchor}` }));
    }),
  );
  $('pon-btn').addEventListener('click', () =>
    void guarded(async () => {
      const body = { fine_periodo: $<HTMLInputElement>('pon-end').value };
      const scheda: PonScheda = await api!.ponScheda(body);
      const { grid, dataDate } = ponGrid(scheda, lang);
      const block = await withExcel((ctx) => insertBlock(ctx, { kind: 'pon', grid, pon: body, lang, dataDate, newSheet: `PON ${scheda.ats} ${scheda.fine_periodo}` }));
      status(t(lang, 'inserted', { address: `${block.sheet}!${block.anchor}` }));
    }),
  );
}

function start() {
  applyLanguage();
  wire();
  void userStorage.get(STORAGE).then((saved) => (saved ? guarded(() => signIn(saved)) : signOut(false)));
  $('excel-note').hidden = inExcel;
}

if (typeof Office !== 'undefined') Office.onReady((info) => {
  inExcel = info.host === 'Excel';
  start();
});
else start();
