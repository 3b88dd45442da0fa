/** The add-in manifests: generated for a base URL, the JSON one validated offline through the library's API. */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validateManifest } from 'office-addin-manifest';
import { manifestXml, writeManifests } from '../scripts/manifest.ts';
import { demoApp } from './helpers/app.ts';

const dir = mkdtempSync(join(tmpdir(), 'pas-manifest-'));
const paths = await writeManifests('https://pas.example.it', dir);

t.test('the unified JSON manifest converted from the XML one is valid, offline', async (t) => {
  const result = await validateManifest(paths.json);
  t.equal(result.isValid, true, JSON.stringify(result.report?.errors ?? []));
  const manifest = JSON.parse(readFileSync(paths.json, 'utf8'));
  for (const icon of Object.values(manifest.icons) as string[]) t.ok(existsSync(join(dirname(paths.json), icon)), `icon ${icon} exists`);
  t.equal(manifest.name.short, 'PAS cubi');
  t.match(JSON.stringify(manifest.extensions), /https:\/\/pas\.example\.it\/addin\/taskpane\.html/);
});

t.test('a wrong type is reported by the validator (the check can fail)', async (t) => {
  const broken = JSON.parse(readFileSync(paths.json, 'utf8'));
  broken.version = 12;
  const file = join(dir, 'json', 'broken.json');
  writeFileSync(file, JSON.stringify(broken));
  const result = await validateManifest(file).catch((err: Error) => ({ isValid: false, report: { errors: [{ content: err.message }] } }));
  t.equal(result.isValid, false);
  t.ok((result.report?.errors ?? []).length > 0);
});

t.test('the XML manifest targets Excel, HTTPS and the served task pane', async (t) => {
  const xml = readFileSync(paths.xml, 'utf8');
  t.match(xml, /<Host Name="Workbook"\/>/);
  t.match(xml, /<SourceLocation DefaultValue="https:\/\/pas\.example\.it\/addin\/taskpane\.html"\/>/);
  t.throws(() => manifestXml('http://pas.example.it'), /HTTPS/);
  t.doesNotThrow(() => manifestXml('http://localhost:3000'), 'plain HTTP only on localhost');
});

t.test('the committed manifests are the generated ones for the development URL', async (t) => {
  t.equal(readFileSync('manifests/manifest.xml', 'utf8'), manifestXml('https://localhost:3443'), 'run npm run manifest after changing scripts/manifest.ts');
});

t.test('every URL the manifest references is served', async (t) => {
  const demo = await demoApp(2_000, 1);
  t.teardown(demo.dispose);
  const xml = readFileSync(paths.xml, 'utf8');
  const urls = [...new Set([...xml.matchAll(/https:\/\/pas\.example\.it(\/addin\/[^"]+)/g)].map((m) => m[1]))];
  t.ok(urls.length >= 6);
  for (const url of urls) {
    const res = await demo.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
  }
  const js = await demo.app.inject({ method: 'GET', url: '/addin/taskpane.js' });
  t.equal(js.statusCode, 200);
  t.match(js.headers['content-type'], /javascript/);
});
