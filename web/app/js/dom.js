// Small page helpers the page's modules share: elements by id, building
// elements, the body's data-* state, the live status line, downloads.
// The DOM is built with textContent only: file names are untrusted input.

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('aria-') || k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function setState(name, value) {
  document.body.dataset[name] = value;
}

export function announce(text) {
  $('status').textContent = text;
}

export function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const stamp = () => new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
