/** Builds the task pane: TypeScript bundled by esbuild into addin/dist with the static files. */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('addin/dist', { recursive: true, force: true });
mkdirSync('addin/dist', { recursive: true });
cpSync('addin/public', 'addin/dist', { recursive: true });
await build({
  entryPoints: ['addin/src/main.ts'],
  bundle: true,
  format: 'iife',
  target: 'es2020', // Edge WebView2 / WKWebView / browsers of Excel on the web
  outfile: 'addin/dist/taskpane.js',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
console.log('[addin] riquadro costruito in addin/dist');
