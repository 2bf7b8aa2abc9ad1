// tests/browser/lib.mjs: what the browser tests share: paths, the check/summary printer,
// Debian's chromium through playwright-core (fresh profile, bounded waits), a loopback static
// server, failure screenshots in build/test-artifacts/, and cleanup of what a test started.
import { mkdirSync, existsSync } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = process.env.BUILD ? join(ROOT, process.env.BUILD) : join(ROOT, 'build');
export const ARTIFACTS = join(BUILD, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const WAIT_MS = 20000; // every wait is bounded by this

export function checker(name) {
  let passed = 0;
  let failed = 0;
  const check = (ok, what, detail = '') => {
    if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}${detail ? `\n     ${detail}` : ''}`); }
    return ok;
  };
  const summary = () => {
    console.log(`${name}: ${passed} passed, ${failed} failed`);
    return failed;
  };
  return { check, summary, get failed() { return failed; } };
}

/** Keeps a screenshot of `page` in build/test-artifacts/<name>.png. */
export async function keepScreenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true }).catch(() => {});
  console.log(`screenshot: ${path}`);
}

/** A persistent context on a fresh profile (removed on close). extraArgs: e.g. --load-extension. */
export async function launchChromium(extraArgs = [], opts = {}) {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'crm-browser-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], ...opts,
  });
  context.setDefaultTimeout(WAIT_MS);
  return { context, close: async () => { await context.close().catch(() => {}); await rm(profile, { recursive: true, force: true }); } };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
/** Serves `dir` on a free loopback port; resolves to {url, close()}. */
export async function serveStatic(dir) {
  const server = createServer(async (req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    if (rel.startsWith('..')) { res.writeHead(404).end(); return; }
    try {
      const body = await readFile(join(dir, rel || 'index.html'));
      res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }).end(body);
    } catch { res.writeHead(404).end('not found'); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://localhost:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

export const exists = (p) => existsSync(p);
