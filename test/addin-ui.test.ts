/**
 * The task pane in a real browser (Debian's Chromium through playwright-core),
 * served by the real server, with Office.js replaced by the fake Excel object
 * model (test/helpers/fake-excel.ts): sign in, build a pivot, preview, insert,
 * refresh, the PON sheet, language and errors. A screenshot is kept in
 * test-artifacts/.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.ts';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(20_000, 4);
t.teardown(demo.dispose);
const { app, engine } = demo;
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

// The ATS with most PON households (so that its sheet is not empty) and its token.
const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('pon_nuclei')} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
const token = (await demo.as({ profile: 'ats', scope: ats })).authorization.slice(7);

const fake = await build({ entryPoints: ['test/helpers/fake-excel.ts'], bundle: true, write: false, format: 'iife', globalName: 'FakeExcel', target: 'es2020' });
const officeStub = `
  window.__workbook = new FakeExcel.FakeWorkbook(['Foglio1']);
  window.Office = { onReady(cb) { setTimeout(() => cb({ host: 'Excel' }), 0); } };
  window.Excel = { run: (fn) => fn(window.__workbook.context()) };`;

const browser = await launchBrowser();
t.teardown(() => browser.close());

async function openPane(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 380, height: 900 } });
  await page.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: `${fake.outputFiles[0].text}\n${officeStub}` }));
  await page.goto(`${base}/addin/taskpane.html`);
  return page;
}
const workbook = (page: Page, expr: string) => page.evaluate(`(() => { const wb = window.__workbook; return ${expr}; })()`);

t.test('sign in, build a pivot, preview and insert it into the workbook', async (t) => {
  const page = await openPane();
  await page.fill('#token', token);
  await page.click('#signin-btn');
  await page.waitForSelector('#builder:not([hidden])');
  t.match(await page.textContent('#who'), new RegExp(`ats.*${ats}`));
  t.ok((await page.locator('#cube option').allTextContents()).includes('Prestazioni sociali (PS-PSA)'), 'the cubes the profile may open');
  await page.selectOption('#cube', 'prestazioni');
  // Measures: beneficiari too; rows: comune; columns: anno.
  await page.check('#m-beneficiari');
  await page.selectOption('#axis-comune', 'rows');
  await page.selectOption('#axis-anno', 'columns');
  await page.click('#preview-btn');
  await page.waitForSelector('#preview-table');
  t.ok((await page.locator('#preview-table tr').count()) > 2, 'preview rows');

  // The comune picker lists only the comuni of the ATS.
  await page.click('#filter-comune');
  await page.waitForSelector('#picker-list label');
  const picked = await page.locator('#picker-list label').count();
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${engine.table('territorio')} WHERE ats = {ats:String}`, { ats });
  t.equal(picked, Math.min(50, Number(n)), 'in-scope members only');
  await page.click('#picker-close');

  await page.click('#insert-btn');
  await page.waitForFunction(() => /Inserito in Foglio1!A1/.test(document.getElementById('status')!.textContent ?? ''));
  t.equal(await workbook(page, `wb.value('Foglio1', 'A1')`), 'Prestazioni sociali (PS-PSA)');
  // The numbers in the sheet are the server's: compare the grand total with the API.
  const api = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: { authorization: `Bearer ${token}` }, payload: { measures: ['beneficiari'] } });
  const grand = api.json().rows[0].beneficiari;
  const cells = (await workbook(page, `[...wb.sheets.get('Foglio1').values()].map((c) => c.value)`)) as unknown[];
  t.ok(cells.includes(grand), `the grand total of beneficiari (${grand}) is in the sheet`);
  const blocks = JSON.parse((await workbook(page, `wb.settings.get('pas.blocks')`)) as string);
  t.match(blocks[0], { kind: 'pivot', cube: 'prestazioni', query: { rows: ['comune'], columns: ['anno'] } });

  // Refresh all: same data, same block, user told how many were refreshed.
  await page.click('#refresh-all-btn');
  await page.waitForFunction(() => /1 blocchi aggiornati/.test(document.getElementById('status')!.textContent ?? ''));
  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/addin-taskpane.png', fullPage: true });

  // The report gallery: the reports of the profile; the Quadro ATS lands on a new sheet with Excel charts.
  const gallery = await page.locator('#report option').allTextContents();
  t.ok(gallery.includes('Quadri · Quadro ATS') && !gallery.some((g) => g.includes('Quadro Nazionale')), 'the gallery lists the reports the profile may open');
  await page.selectOption('#report', 'quadro_ats');
  await page.selectOption('#rf-anno', ['2023']);
  await page.click('#report-btn');
  await page.waitForFunction(() => /Inserito in Quadro ATS/.test(document.getElementById('status')!.textContent ?? ''));
  const report = (await app.inject({ method: 'POST', url: '/v1/reports/quadro_ats', headers: { authorization: `Bearer ${token}` }, payload: { filtri: { anno: [2023] } } })).json();
  t.match(((await workbook(page, `wb.values('Quadro ATS', 'A1:A6')`)) as unknown[][]).flat().join('|'), /Filtro: Anno: 2023/, 'the report carries the filter picked in the pane');
  const kpiRow = ((await workbook(page, `wb.values('Quadro ATS', 'A1:B12')`)) as unknown[][]).find((r) => r[0] === 'Beneficiari')!;
  t.equal(kpiRow[1], report.kpis.find((k: { measure: string }) => k.measure === 'beneficiari').value ?? 'n.d.', 'the KPI in the sheet is the server\'s');
  const charts = (await workbook(page, `wb.charts`)) as { sheet: string; type: string; title: string }[];
  t.ok(charts.length >= 3 && charts.every((c) => c.sheet === 'Quadro ATS'), `Excel charts on the report sheet (${charts.length})`);
  t.ok(charts.some((c) => c.type === 'Pie' && /carattere/.test(c.title)));

  // The PON sheet lands on a new sheet.
  await page.fill('#pon-end', '2019-12-31');
  await page.click('#pon-btn');
  await page.waitForFunction(() => /Inserito in PON/.test(document.getElementById('status')!.textContent ?? ''));
  const sheetName = `PON ${ats} 2019-12-31`;
  t.equal(await workbook(page, `wb.value('${sheetName}', 'A1')`), 'PON Inclusione 2014-2020 - Avviso 3/2016 - Scheda di monitoraggio fisico');
  const scheda = (await app.inject({ method: 'POST', url: '/v1/pon/avviso3/scheda', headers: { authorization: `Bearer ${token}` }, payload: { fine_periodo: '2019-12-31' } })).json();
  const rows = (await workbook(page, `wb.values('${sheetName}', 'A1:D40')`)) as unknown[][];
  t.same(rows.find((r) => r[0] === 'Nuclei familiari')!.slice(1, 3), [scheda.tabella_1A.previsti, scheda.tabella_1A.effettivi]);
  await page.close();
});

t.test('errors in plain language; English on request', async (t) => {
  const page = await openPane();
  await page.fill('#token', 'eyJhbGciOiJIUzI1NiJ9.eyJwcm9maWxlIjoibmF6aW9uYWxlIn0.invalid');
  await page.click('#signin-btn');
  await page.waitForFunction(() => document.getElementById('status')!.className.includes('error'));
  t.match(await page.textContent('#status'), /sessione è scaduta o il token non è valido/);
  await page.click('#lang');
  t.equal(await page.textContent('#signin-btn'), 'Sign in');
  await page.fill('#token', token);
  await page.click('#signin-btn');
  await page.waitForSelector('#builder:not([hidden])');
  await page.selectOption('#cube', 'prestazioni');
  await page.waitForSelector('#m-beneficiari');
  t.equal(await page.textContent('#insert-btn'), 'Insert at the selected cell');
  // Inserting over the user's cells is refused with the range named.
  await page.evaluate(`window.__workbook.set('Foglio1', 'A3', 'mio dato')`);
  await page.click('#insert-btn');
  await page.waitForFunction(() => document.getElementById('status')!.className.includes('error'));
  t.match(await page.textContent('#status'), /would cover A1:.*holds data/);
  t.equal(await workbook(page, `wb.value('Foglio1', 'A3')`), 'mio dato');
  await page.close();
});
