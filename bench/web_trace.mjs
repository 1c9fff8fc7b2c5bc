// Where the page's own thread spends a batch: loads the built app
// (CXR_WEB_DIR) in headless Chromium with W workers (?workers=W, default 1),
// drops N good films (CXR_TRACE_FILMS, default 450) through the file input,
// records a Chromium trace until every row is finished, and prints the
// renderer main thread's self time by trace event (layout, paint, script...).
// A tool for finding what keeps the worker pool from scaling, not a bench:
// no targets, numbers move with the machine.
//   W=2 CXR_WEB_DIR=build/web-bench node bench/web_trace.mjs
import { readdirSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve } from '../web/serve.mjs';
import { WEB_DIR, DATA_DIR, CHROMIUM, CHROMIUM_ARGS } from '../tests/web/helpers.mjs';
const { chromium } = await import('playwright-core');
const { url, close } = await serve({ root: WEB_DIR, port: 0 });
const train = join(DATA_DIR, 'chest_xray_224', 'train');
const work = mkdtempSync(join(tmpdir(), 'cxr-trace-'));
const good = readdirSync(join(train, 'NORMAL')).sort().slice(0, Number(process.env.CXR_TRACE_FILMS ?? 450)).map((f) => join(train, 'NORMAL', f));
const paths = good.map((p, i) => { const to = join(work, `g-${i}.jpeg`); copyFileSync(p, to); return to; });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const w = Number(process.env.W ?? 1);
const page = await browser.newPage();
await page.goto(`${url}?workers=${w}`);
await new Promise((r) => setTimeout(r, 2000));
await browser.startTracing(page, { path: join(work, 'trace.json'), categories: ['devtools.timeline', 'blink', 'v8', 'disabled-by-default-devtools.timeline'] });
const t0 = Date.now();
await page.setInputFiles('#file-input', paths);
await page.waitForFunction((n) => document.querySelectorAll('#results-body tr[data-status=done],#results-body tr[data-status=error]').length >= n, paths.length, { polling: 200, timeout: 120000 });
console.log(`${paths.length} films, ${w} worker(s): ${Date.now() - t0} ms from handing over the files to the last row`);
await browser.stopTracing();
await browser.close(); await close();
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const ev = JSON.parse(readFileSync(join(work, 'trace.json'), 'utf8')).traceEvents;
const names = new Map(); for (const e of ev) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
const main = [...names].filter(([, n]) => n === 'CrRendererMain').map(([k]) => k);
// Self time per event name on the renderer main thread: complete (X) events,
// each minus the events nested in it.
const byThread = new Map();
for (const e of ev) { const k = `${e.pid}:${e.tid}`; if (!main.includes(k) || e.ph !== 'X' || !e.dur) continue; (byThread.get(k) ?? byThread.set(k, []).get(k)).push(e); }
for (const [k, list] of byThread) {
  list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map(); const stack = [];
  for (const e of list) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    if (stack.length) { const p = stack.at(-1); p.child = (p.child ?? 0) + e.dur; }
    stack.push(e);
  }
  for (const e of list) self.set(e.name, (self.get(e.name) ?? 0) + e.dur - (e.child ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`renderer main thread ${k}: ${(total / 1000).toFixed(0)} ms busy`);
  console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 18).map(([n, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms ${n}`).join('\n'));
}
