// The peers in headless Chromium (Debian's, via playwright-core), served with
// the app's own security headers by web/serve.mjs: stages the bench page and
// every peer's files (files.mjs) into one folder and drives bench/web/page.mjs.
import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../web/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/web/helpers.mjs';
import { SHIPPED, BENCH_PAGE } from './files.mjs';
import { pct } from './compare.mjs';

function stage(dir, films) {
  const copies = [...Object.values(SHIPPED).flat(), ...BENCH_PAGE, ...films.map((f) => [f, `films/${basename(f)}`])];
  for (const [from, to] of copies) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(from, join(dir, to));
  }
  return films.map((f) => `films/${basename(f)}`);
}

// {cold: {peer: median ms}, coldApp, ms, agree, e2e: [ms]} for `names`
// (the first is ours), `films` (paths of full-resolution JPEGs). coldRepeats
// 0 and endToEnd false measure the side-by-side only (e2e then []).
export async function runInChromium({ names, films, runs, coldRepeats = 3, endToEnd = true, inputSize, temperature,
  log = console.log }) {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-bench-peers-'));
  const urls = stage(dir, films);
  const { chromium } = await import('playwright-core');
  const { url, close } = await serve({ root: dir, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  // Every call in a fresh context (empty HTTP and code caches) and page.
  const inPage = async (fn, arg) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await page.goto(url);
      await page.waitForFunction(() => document.body?.dataset.ready === 'true');
      return await page.evaluate(fn, arg);
    } catch (e) {
      throw new Error(`${e.message.split('\n')[0]}${errors.length ? `; console: ${errors.join(' | ')}` : ''}`);
    } finally {
      await context.close();
    }
  };
  try {
    const colds = Object.fromEntries([...names, 'app'].map((n) => [n, []]));
    for (let i = 0; i < coldRepeats; i++) {
      for (const n of names) colds[n].push(await inPage(([n, size]) => window.bench.cold(n, size), [n, inputSize]));
      colds.app.push(await inPage((film) => window.bench.coldApp(film), urls[0]));
    }
    if (coldRepeats) log(`  chromium: cold starts done (${coldRepeats} each, fresh contexts)`);
    const side = await inPage(([n, f, r, t]) => window.bench.sideBySide(n, f, r, t), [names, urls.slice(0, 12), runs, temperature]);
    const e2e = endToEnd ? await inPage(([f, r]) => window.bench.endToEnd(f, r), [urls.slice(0, 12), runs]) : [];
    const cold = Object.fromEntries(Object.entries(colds).map(([n, v]) => [n, pct(v, 0.5)]));
    return { ...side, cold, e2e };
  } finally {
    await browser.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}
