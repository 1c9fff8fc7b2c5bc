#!/usr/bin/env node
// Assembles the app into a plain static folder any server can host:
//   web/app/*  + the wasm module + the model + model-info.json
//   + each page's head lines (web/head.mjs: the CSP as a <meta> tag, ...) + content hashes for offline use:
//   the app shell's precache list in the service worker, the wasm module's and
//   the model's in the page's boot script (all in precache-manifest.json).
//
// Each script is bundled with the modules it imports (web/bundle.mjs), so the
// page and its worker load in a handful of requests.
//
//   node web/build.mjs --wasm build/wasm/wasm --model models/pneumonia.cxrm --out build/web
import { readFile, writeFile, mkdir, rm, rmdir, readdir, copyFile, access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stampHead } from './head.mjs';
import { bundle } from './bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MARKER = '.cxr-web-build';
// Stored by the page as it loads them (the files js/boot.js loads), not by the
// service worker's install.
const LAZY = ['wasm/cxr.wasm', 'model.cxrm'];
const BOOT = 'js/boot.js';
// Each page's script and the classifier worker's, with the modules they
// import inlined (web/bundle.mjs): a first visit then waits for a handful of
// requests, not one per module. boot.js stays its own small module: the page
// runs it first, and the page's bundle imports that same instance.
const BUNDLES = ['js/app.js', 'js/worker.js', 'js/model-card.js', 'js/calibrate.js'];

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['wasm', 'model', 'out']) if (!out[k]) throw new Error(`--${k} is required`);
  return out;
}

async function exists(p) {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function copyTree(from, to) {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) await copyTree(join(from, e.name), join(to, e.name));
    else if (e.isFile()) await copyFile(join(from, e.name), join(to, e.name));
  }
}

async function listFiles(dir, base = dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await listFiles(p, base));
    else if (e.isFile()) out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

// Reads the model with the same wasm module the page uses, so the card and
// the page can never describe different things.
async function modelInfo(wasmDir, modelBytes) {
  const { default: createCxrModule } = await import(pathToFileURL(resolve(wasmDir, 'cxr.mjs')).href);
  const cxr = await createCxrModule({ wasmBinary: await readFile(join(wasmDir, 'cxr.wasm')), print: () => {}, printErr: () => {} });
  const c = new cxr.Classifier(new Uint8Array(modelBytes));
  try {
    const error = c.error();
    if (error) throw new Error(`the model file is not usable: ${error}`);
    return c.info();
  } finally {
    c.delete();
  }
}

async function main() {
  const opt = args(process.argv.slice(2));
  const out = resolve(opt.out);
  if (await exists(out)) {
    if (!(await exists(join(out, MARKER)))) throw new Error(`${opt.out} exists and was not made by this script; not touching it`);
    await rm(out, { recursive: true });
  }
  await copyTree(join(here, 'app'), out);
  await writeFile(join(out, MARKER), 'built by web/build.mjs\n');
  await mkdir(join(out, 'wasm'), { recursive: true });
  for (const f of ['cxr.mjs', 'cxr.wasm']) await copyFile(join(opt.wasm, f), join(out, 'wasm', f));
  await bundleScripts(out);

  const modelBytes = await readFile(opt.model);
  await writeFile(join(out, 'model.cxrm'), modelBytes);
  const info = await modelInfo(opt.wasm, modelBytes);
  const card = join(dirname(opt.model), 'MODEL_CARD.md');
  const hasModelCard = basenameIs(opt.model, 'pneumonia.cxrm') && (await exists(card));
  if (hasModelCard) await copyFile(card, join(out, 'MODEL_CARD.md'));
  info.fileSha256 = createHash('sha256').update(modelBytes).digest('hex');
  info.fileBytes = modelBytes.length;
  info.hasModelCard = hasModelCard;
  await writeFile(join(out, 'model-info.json'), `${JSON.stringify(info, null, 2)}\n`);

  for (const page of ['index.html', 'model-card.html', 'calibrate.html']) {
    const p = join(out, page);
    await writeFile(p, stampHead(await readFile(p, 'utf8'), page));
  }

  // Every file but the service worker itself, with its hash. The service
  // worker precaches the small app shell; the large files (LAZY) are stored
  // by the page from the very responses it loads, so a first visit neither
  // waits for the install nor downloads them twice.
  const files = (await listFiles(out)).filter((f) => f !== 'sw.js');
  const entries = [];
  for (const f of files) entries.push(await entry(out, f));
  // The version covers every file's content as built, before the cache name
  // (which is derived from it) is written into the page's boot script.
  const version = createHash('sha256').update(entries.map((e) => `${e.url} ${e.sha256}`).join('\n')).digest('hex').slice(0, 16);
  const cache = `cxr-${version}`;
  for (const e of entries) e.lazy = LAZY.includes(e.url);
  const lazy = Object.fromEntries(entries.filter((e) => e.lazy).map((e) => [e.url, e.integrity]));
  await fill(join(out, BOOT), { "/*CACHE*/null": JSON.stringify({ name: cache, integrity: lazy }) });
  entries[entries.findIndex((e) => e.url === BOOT)] = { ...await entry(out, BOOT), lazy: false };
  await writeFile(join(out, 'precache-manifest.json'), `${JSON.stringify({ version, cache, files: entries }, null, 2)}\n`);
  const shell = entries.filter((e) => !e.lazy).map(({ url, integrity }) => ({ url, integrity }));
  await fill(join(out, 'sw.js'), { '/*PRECACHE*/[]': JSON.stringify(shell, null, 1), "/*CACHE*/'cxr-dev'": JSON.stringify(cache) });

  const total = entries.reduce((a, e) => a + e.bytes, 0);
  console.log(`cxr: built ${relative(process.cwd(), out) || out}: ${entries.length} files, ${(total / 1048576).toFixed(1)} MB, `
    + `model ${info.name} ${info.version} (${info.checksum}), precache version ${version}`);
  if (/^random-/.test(info.name)) console.log('cxr: NOTE this is a TEST MODEL with random weights; the page says so.');
}

// Writes each bundle over its entry script and removes the modules that now
// live only inside bundles (and the folders that leaves empty).
async function bundleScripts(out) {
  const inlined = new Set();
  for (const entry of BUNDLES) {
    const { text, modules } = await bundle(out, entry, { external: [BOOT] });
    await writeFile(join(out, entry), text);
    for (const m of modules) inlined.add(m);
  }
  for (const m of inlined) {
    if (BUNDLES.includes(m)) continue;
    await rm(join(out, m));
    await rmdir(dirname(join(out, m))).catch(() => {});
  }
}

async function entry(dir, url) {
  const bytes = await readFile(join(dir, url));
  const digest = createHash('sha256').update(bytes).digest();
  return { url, sha256: digest.toString('hex'), integrity: `sha256-${digest.toString('base64')}`, bytes: bytes.length };
}

// Replaces each placeholder, which must be there exactly once.
async function fill(path, values) {
  let text = await readFile(path, 'utf8');
  for (const [placeholder, value] of Object.entries(values)) {
    if (text.split(placeholder).length !== 2) throw new Error(`${relative(process.cwd(), path)}: placeholder ${placeholder} missing`);
    text = text.replace(placeholder, () => value);
  }
  await writeFile(path, text);
}

function basenameIs(p, name) {
  return p.split(/[\\/]/).pop() === name;
}

main().catch((err) => {
  console.error(`cxr: web build failed: ${err.message}`);
  process.exit(1);
});
