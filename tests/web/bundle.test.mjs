// web/bundle.mjs: the build's bundler for the app's own modules. A bundle
// behaves like the modules it was made from (one instance each, in
// dependency order, imports hoisted, external modules shared), and any
// import/export form it does not handle is refused with the file and line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { bundle } from '../../web/bundle.mjs';

let root;
const write = (files) => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
};

before(() => { root = mkdtempSync(join(tmpdir(), 'cxr-bundle-')); });
after(() => rmSync(root, { recursive: true, force: true }));

test('a bundle runs like its modules: every import form, one instance each, externals shared, import.meta.url kept', async () => {
  write({
    'js/lib/log.js': 'export const log = [];\n',
    'js/lib/a.js': "import { log } from './log.js';\nlog.push('a');\nexport function twice(x) { return 2 * x; }\nexport const A = 'a';\n",
    // A mid-file import (hoisted), a renamed one, a default export.
    'js/lib/b.js': "export function useA(x) { return double(x) + 1; }\nimport { log } from './log.js';\nimport { twice as double } from './a.js';\nlog.push('b');\nconst b = 'b';\nexport default b;\nexport { b as bee, useA as alsoUseA };\n",
    'js/lib/where.js': 'export const here = import.meta.url;\n',
    'js/shared.js': 'export const shared = {};\n',
    'js/main.js': [
      "import { shared } from './shared.js';",
      "import * as a from './lib/a.js';",
      "import bDefault, { useA, bee } from './lib/b.js';",
      "import { log } from './lib/log.js';",
      "import { here } from './lib/where.js';",
      'export const result = { A: a.A, twice: a.twice(3), bDefault, bee, useA: useA(2), log, here, shared };',
      '',
    ].join('\n'),
  });
  const { text, modules } = await bundle(root, 'js/main.js', { external: ['js/shared.js'] });
  assert.deepEqual(modules, ['js/lib/log.js', 'js/lib/a.js', 'js/lib/b.js', 'js/lib/where.js', 'js/main.js']);
  assert.doesNotMatch(text, /^\s*import .* from '\.\/lib\//m, 'no module of the bundle is imported any more');
  writeFileSync(join(root, 'js/main.bundle.js'), text);
  writeFileSync(join(root, 'js/package.json'), '{"type":"module"}');
  const { result } = await import(pathToFileURL(join(root, 'js/main.bundle.js')).href);
  const { shared } = await import(pathToFileURL(join(root, 'js/shared.js')).href);
  assert.deepEqual({ ...result, shared: undefined }, {
    A: 'a', twice: 6, bDefault: 'b', bee: 'b', useA: 5, log: ['a', 'b'],
    here: pathToFileURL(join(root, 'js/lib/where.js')).href, shared: undefined,
  });
  assert.equal(result.shared, shared, 'the external module is the same instance');
});

test('forms the bundler does not handle are refused with the file and line, not passed through', async () => {
  const refused = {
    'export let x = 1;\n': /a\.js:1: this export form is not supported/,
    "export * from './b.js';\n": /a\.js:1: this export form is not supported/,
    "\nexport { y } from './b.js';\n": /a\.js:2: this export form is not supported/,
    "const m = await import('./b.js');\n": /a\.js:1: dynamic import\(\)/,
    "import { nope } from './b.js';\n": /exports no 'nope'/,
    "import x from 'some-package';\n": /only relative imports/,
    "import { a } from './c.js';\n": /circular import/,
  };
  for (const [source, why] of Object.entries(refused)) {
    write({ 'r/a.js': source, 'r/b.js': 'export const y = 1;\n', 'r/c.js': "import './a.js';\nexport const a = 1;\n" });
    await assert.rejects(bundle(root, 'r/a.js'), why, source);
  }
});

test('the app\'s own scripts bundle', async () => {
  const app = join(dirname(new URL(import.meta.url).pathname), '../../web/app');
  for (const entry of ['js/app.js', 'js/model-card.js']) {
    const { modules } = await bundle(app, entry, { external: ['js/boot.js'] });
    assert.equal(modules.at(-1), entry);
    assert.ok(!modules.includes('js/boot.js'), 'boot.js stays its own module');
  }
});
