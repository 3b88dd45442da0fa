/** The HTML preview of a report in headless Chromium: KPIs, tables and Chart.js charts; a screenshot is kept. */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { launchBrowser } from './helpers/browser.ts';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(30_000, 6);
t.teardown(demo.dispose);
await demo.app.listen({ port: 0, host: '127.0.0.1' });
const address = demo.app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const [{ regione }] = await demo.engine.query<{ regione: string }>(`SELECT regione FROM ${demo.engine.table('prestazioni')} GROUP BY regione ORDER BY count() DESC LIMIT 1`);
const token = (await demo.as({ profile: 'regionale', scope: regione })).authorization.slice(7);

const browser = await launchBrowser();
t.teardown(() => browser.close());

t.test('Quadro Regionale in the browser', async (t) => {
  const listing = (await demo.app.inject({ method: 'GET', url: '/v1/reports', headers: { authorization: `Bearer ${token}` } })).json();
  const url = listing.reports.find((r: { name: string }) => r.name === 'quadro_regionale').preview;
  t.equal(url, '/anteprima/quadro_regionale');
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + url);
  await page.fill('#token', token);
  await page.click('#auth button');
  await page.waitForSelector('.kpi');
  const api = (await demo.app.inject({ method: 'POST', url: '/v1/reports/quadro_regionale', headers: { authorization: `Bearer ${token}` }, payload: {} })).json();
  t.equal(await page.textContent('#title'), 'Quadro Regionale');
  const kpis = await page.locator('.kpi').allTextContents();
  const beneficiari = api.kpis.find((k: { measure: string }) => k.measure === 'beneficiari');
  t.ok(kpis.some((k) => k.includes(beneficiari.value.toLocaleString('it-IT')) && k.includes('Beneficiari')), 'the beneficiari KPI as the API gives it');
  t.equal(await page.locator('section.table').count(), api.tables.length, 'one section per table');
  t.ok((await page.locator('canvas').count()) >= 4, 'charts drawn');
  t.same(errors, [], 'no script errors');
  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/report-quadro-regionale.png', fullPage: true });
  await page.close();
});

t.test('a report outside the profile shows the server\'s explanation', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${base}/anteprima/quadro_nazionale`);
  await page.fill('#token', token);
  await page.click('#auth button');
  await page.waitForFunction(() => (document.getElementById('error')!.textContent ?? '').length > 0);
  t.match(await page.textContent('#error'), /livello nazionale/);
  await page.close();
});
