// A small build-time bundler for the app's own ES modules (no dependencies):
// an entry script and every module it imports become one file, so the page
// loads its code in one request per script instead of one per module (on a
// first visit the browser's six connections are otherwise queued with them).
//
// Each inlined module runs in its own function scope, in dependency order,
// once, and hands its exports on as an object; each import becomes a
// destructuring of that object. So modules keep their own top-level names
// and nothing is renamed. It handles the forms this app uses and refuses
// anything else with the file and line, rather than guess:
//   import {a, b as c} from './x.js'; import d from './x.js';
//   import * as ns from './x.js'; import './x.js';
//   export function|async function|function*|class|const NAME ...;
//   export default NAME; export { a, b as c };
// Not handled (refused): export let/var (a copied binding would not be live),
// export ... from, import.meta other than .url, dynamic import().
// import.meta.url inside an inlined module still names that module's own URL.
// Modules listed as external stay separate: they are imported from the
// bundle by their path, so the page shares one instance with the script tag
// that loads them too (boot.js).
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

const IMPORT = /^import\s+(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+([\w$]+))?\s*(?:from\s*)?(['"])([^'"]+)\4\s*;?[^\S\n]*$/gm;
const EXPORT_DECL = /^export\s+(async\s+function\s*\*?|function\s*\*?|class|const)\s+([\w$]+)/gm;
const EXPORT_DEFAULT = /^export\s+default\s+([\w$]+)\s*;?[^\S\n]*$/gm;
const EXPORT_LIST = /^export\s*\{([^}]*)\}\s*;?[^\S\n]*$/gm;
const ID = /^[A-Za-z_$][\w$]*$/;

// 'a, b as c' -> [['a', 'a'], ['b', 'c']] (names as [theirs, ours]).
function names(list, where) {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [from, to = from] = s.split(/\s+as\s+/);
    if (!ID.test(from) || !ID.test(to)) throw new Error(`${where}: cannot read the name list '${list.trim()}'`);
    return [from, to];
  });
}

const lineOf = (text, index) => text.slice(0, index).split('\n').length;

// Reads one module: its imports (with the statements' positions) and exports.
function parseModule(text, file) {
  const at = (m) => `${file}:${lineOf(text, m.index)}`;
  const imports = [...text.matchAll(IMPORT)].map((m) => ({
    start: m.index, end: m.index + m[0].length, statement: m[0], spec: m[5],
    def: m[1] ?? null, named: m[2] !== undefined ? names(m[2], at(m)) : [], ns: m[3] ?? null,
  }));
  const exports = [];
  for (const m of text.matchAll(EXPORT_DECL)) exports.push([m[2], m[2]]);
  for (const m of text.matchAll(EXPORT_DEFAULT)) exports.push([m[1], 'default']);
  for (const m of text.matchAll(EXPORT_LIST)) exports.push(...names(m[1], at(m)));
  // Every statement that starts a line with import or export must be one of
  // the forms above: anything else is refused, not passed through.
  const handled = new Set([...text.matchAll(IMPORT), ...text.matchAll(EXPORT_DECL), ...text.matchAll(EXPORT_DEFAULT),
    ...text.matchAll(EXPORT_LIST)].map((m) => m.index));
  for (const m of text.matchAll(/^(import|export)\b/gm)) {
    if (!handled.has(m.index)) throw new Error(`${at(m)}: this ${m[1]} form is not supported by web/bundle.mjs`);
  }
  for (const m of text.matchAll(/\bimport\s*\(|\bimport\.meta\b(?!\.url\b)/g)) {
    throw new Error(`${at(m)}: dynamic import() and import.meta other than .url are not supported by web/bundle.mjs`);
  }
  return { imports, exports };
}

// The module's text with its import statements removed and `bind(import)`
// for each put first (imports are hoisted, wherever they stand), and unless
// it is the entry (whose exports are the bundle's), the export keywords
// dropped (export default NAME / export {...} go).
function rewrite(text, imports, bind, { entry = false } = {}) {
  let out = '', from = 0;
  for (const imp of imports) {
    out += text.slice(from, imp.start);
    from = imp.end;
  }
  out += text.slice(from);
  const bindings = imports.map(bind).filter(Boolean);
  if (!entry) out = out.replace(EXPORT_DEFAULT, '').replace(EXPORT_LIST, '').replace(EXPORT_DECL, (m) => m.replace(/^export\s+/, ''));
  return bindings.length ? `${bindings.join('\n')}\n${out}` : out;
}

// Bundles root/entry (paths relative to root, with '/'): returns the text
// and the modules it inlined. external: paths that stay separate modules.
export async function bundle(root, entry, { external = [] } = {}) {
  const modules = new Map(); // path -> {text, imports, exports, id}
  const order = [];
  const visiting = new Set();
  const resolvePath = (from, spec) => {
    if (!spec.startsWith('./') && !spec.startsWith('../')) throw new Error(`${from}: only relative imports can be bundled ('${spec}')`);
    return join(dirname(from), spec).split('\\').join('/');
  };
  async function visit(path, via) {
    if (modules.has(path)) return;
    if (visiting.has(path)) throw new Error(`${via}: circular import of ${path}`);
    visiting.add(path);
    const text = await readFile(join(root, path), 'utf8');
    const { imports, exports } = parseModule(text, path);
    for (const imp of imports) {
      imp.path = resolvePath(path, imp.spec);
      if (!external.includes(imp.path)) await visit(imp.path, path);
    }
    visiting.delete(path);
    modules.set(path, { text, imports, exports, id: `__cxr_module_${order.length}` });
    order.push(path);
  }
  await visit(entry, entry);

  const head = new Set();
  const rel = (path) => {
    const r = relative(dirname(entry), path).split('\\').join('/');
    return r.startsWith('.') ? r : `./${r}`;
  };
  // An import statement's replacement: an external module stays an import
  // (moved to the top, its path now relative to the bundle); an inlined one
  // becomes a destructuring of its exports object.
  const bind = (path, imp) => {
    if (external.includes(imp.path)) {
      const statement = imp.statement.trim();
      const i = statement.lastIndexOf(imp.spec);
      head.add(`${statement.slice(0, i)}${rel(imp.path)}${statement.slice(i + imp.spec.length)}`);
      return '';
    }
    const { id, exports } = modules.get(imp.path);
    const exported = new Set(exports.map(([, as]) => as));
    const wanted = [...imp.named, ...(imp.def ? [['default', imp.def]] : [])];
    for (const [theirs] of wanted) if (!exported.has(theirs)) throw new Error(`${path}: ${imp.path} exports no '${theirs}'`);
    const parts = [];
    if (wanted.length) parts.push(`const { ${wanted.map(([a, b]) => (a === b ? a : `${a}: ${b}`)).join(', ')} } = ${id};`);
    if (imp.ns) parts.push(`const ${imp.ns} = ${id};`);
    return parts.join(' ');
  };
  const chunks = [];
  for (const path of order) {
    const m = modules.get(path);
    let body = rewrite(m.text, m.imports, (imp) => bind(path, imp), { entry: path === entry });
    if (path === entry) {
      chunks.push(`// ---- ${path}\n${body}`);
      continue;
    }
    body = body.replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel(path))}, import.meta.url).href`);
    const returned = m.exports.map(([local, as]) => (local === as ? local : `${JSON.stringify(as)}: ${local}`)).join(', ');
    chunks.push(`// ---- ${path}\nconst ${m.id} = (() => {\n${body}\nreturn { ${returned} };\n})();`);
  }
  const banner = `// Built by web/build.mjs from ${order.join(', ')} (web/bundle.mjs): edit those, not this.\n`;
  return { text: banner + [...head, ...chunks].join('\n'), modules: order };
}
