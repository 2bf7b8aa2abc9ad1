// tests/wasm/serve.mjs: a tiny static server on a free loopback port for the browser test and
// bench. It serves build/wasm/* and tests/wasm/page/* at "/", every response under the CSP a
// Manifest V3 extension page gets by default, tightened: no 'unsafe-eval', no inline script.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, normalize } from 'node:path';
import { ROOT, WASM_DIR } from './lib.mjs';

export const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
  "worker-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const PAGE_DIR = join(ROOT, 'tests', 'wasm', 'page');

/** Starts the server; resolves to {url, close()}. */
export function startServer() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    const name = path === '' ? 'index.html' : path;
    if (name === 'favicon.ico') { res.writeHead(204, { 'Content-Security-Policy': CSP }).end(); return; }
    if (name.includes('..') || name.includes('/')) { res.writeHead(404).end(); return; }
    for (const dir of [PAGE_DIR, WASM_DIR]) {
      try {
        const body = await readFile(join(dir, name));
        res.writeHead(200, {
          'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
          'Content-Security-Policy': CSP,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(body);
        return;
      } catch { /* next dir */ }
    }
    res.writeHead(404, { 'Content-Security-Policy': CSP }).end('not found');
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://localhost:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Launches Debian's chromium through playwright-core (never a downloaded browser), with a
 * fresh profile. Resolves to {context, close()}. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const profile = await mkdtemp(join(tmpdir(), 'crm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return { context, close: async () => { await context.close(); await rm(profile, { recursive: true, force: true }); } };
}
