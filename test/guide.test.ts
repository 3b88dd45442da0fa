/**
 * Follows docs/guida-nuovo-cubo.md literally, in a copy of the project on a
 * fresh data directory: files written as the guide shows them, commands run
 * as the guide says, outputs compared with the ones the guide prints, and the
 * new cube looked for in the task pane (Chromium, Office.js replaced by the
 * fake Excel object model). If the guide stops being true, this test fails.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { launchBrowser } from './helpers/browser.ts';

const run = promisify(execFile);
const guide = readFileSync('docs/guida-nuovo-cubo.md', 'utf8');

type Step =
  | { kind: 'file'; path: string; text: string }
  | { kind: 'sh'; script: string }
  | { kind: 'server'; script: string }
  | { kind: 'expect'; lines: string[] }
  | { kind: 'pane-cube'; label: string };

/** The guide's fenced blocks and verification comments, in order. */
function steps(markdown: string): Step[] {
  const out: { at: number; step: Step }[] = [];
  for (const m of markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, lang, info, body] = m;
    const file = /file=(\S+)/.exec(info)?.[1];
    const step: Step | undefined = file
      ? { kind: 'file', path: file, text: body }
      : lang === 'sh'
        ? info.trim() === 'server' ? { kind: 'server', script: body } : { kind: 'sh', script: body }
        : lang === 'text' ? { kind: 'expect', lines: body.split('\n').filter((l) => l.trim()) } : undefined;
    if (step) out.push({ at: m.index!, step });
  }
  for (const m of markdown.matchAll(/<!-- verifica: riquadro-cubo "([^"]+)" -->/g)) out.push({ at: m.index!, step: { kind: 'pane-cube', label: m[1] } });
  return out.sort((a, b) => a.at - b.at).map((s) => s.step);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// A copy of the project: the guide writes into cubes/ and the working directory.
const project = mkdtempSync(join(tmpdir(), 'pas-guide-'));
t.teardown(() => rmSync(project, { recursive: true, force: true }));
for (const entry of ['server', 'scripts', 'node_modules', 'tsconfig.json']) symlinkSync(resolve(entry), join(project, entry));
for (const entry of ['package.json', 'cubes', 'addin/src', 'addin/public']) {
  mkdirSync(dirname(join(project, entry)), { recursive: true });
  cpSync(entry, join(project, entry), { recursive: true });
}
const port = await freePort();
const envFile = join(project, '.guide-env');
writeFileSync(envFile, '');
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(project, 'data'), LOG_LEVEL: 'warn', npm_config_loglevel: 'silent' };
let server: ChildProcess | undefined;
t.teardown(() => {
  if (server?.pid) process.kill(-server.pid, 'SIGTERM');
});

const bash = (script: string) => run('bash', ['-c', `set -euo pipefail\nsource ${envFile}\n${script}\nexport -p > ${envFile}`], { cwd: project, env, maxBuffer: 1 << 24 });

const fake = await build({ entryPoints: ['test/helpers/fake-excel.ts'], bundle: true, write: false, format: 'iife', globalName: 'FakeExcel', target: 'es2020' });
const officeStub = `
  window.__workbook = new FakeExcel.FakeWorkbook(['Foglio1']);
  window.Office = { onReady(cb) { setTimeout(() => cb({ host: 'Excel' }), 0); } };
  window.Excel = { run: (fn) => fn(window.__workbook.context()) };`;

t.test('the guide, step by step', async (t) => {
  const all = steps(guide);
  t.ok(all.filter((s) => s.kind === 'sh').length >= 6, 'the guide has its commands');
  let output = '';
  for (const [i, step] of all.entries()) {
    const where = `step ${i + 1}`;
    if (step.kind === 'file') {
      mkdirSync(dirname(join(project, step.path)), { recursive: true });
      writeFileSync(join(project, step.path), step.text);
    } else if (step.kind === 'sh') {
      try {
        const r = await bash(step.script);
        output = r.stdout + r.stderr;
      } catch (err) {
        const e = err as { stdout: string; stderr: string; code: number };
        t.fail(`${where}: the command failed (exit ${e.code}):\n${step.script}\n${e.stdout}\n${e.stderr}`);
        return;
      }
    } else if (step.kind === 'server') {
      server = spawn('bash', ['-c', `source ${envFile}\n${step.script}`], { cwd: project, env, detached: true });
      let log = '';
      await new Promise<void>((resolveReady, reject) => {
        server!.stdout!.on('data', (d: Buffer) => {
          log += d.toString();
          if (log.includes('[server] API su')) resolveReady();
        });
        server!.stderr!.on('data', (d: Buffer) => (log += d.toString()));
        server!.on('exit', (code) => reject(new Error(`${where}: the server stopped (exit ${code}):\n${log}`)));
      });
      output = log;
    } else if (step.kind === 'expect') {
      for (const line of step.lines) t.ok(output.includes(line), `${where}: the output shows "${line}"`) || t.comment(output);
    } else {
      const token = (await bash('printf %s "$TOKEN"')).stdout;
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: `${fake.outputFiles[0].text}\n${officeStub}` }));
        await page.goto(`http://127.0.0.1:${port}/addin/taskpane.html`);
        await page.fill('#token', token);
        await page.click('#signin-btn');
        await page.waitForSelector('#builder:not([hidden])');
        const cubes = await page.locator('#cube option').allTextContents();
        t.ok(cubes.includes(step.label), `${where}: the task pane lists "${step.label}" (${cubes.join(', ')})`);
      } finally {
        await browser.close();
      }
    }
  }
});
