// The head lines every page shares, defined once: web/build.mjs writes each
// block over its placeholder line and refuses a page without it, so no page
// can ship without the CSP, or with a copy that has drifted. Two blocks,
// because the pages place the icon and manifest links differently: the
// classifier's pages name them last, after the files on the way to ready.
import { CSP_META } from './security.mjs';

export const HEAD_BLOCKS = {
  '<!-- cxr:head -->': [
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP_META}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="dark">',
  ],
  '<!-- cxr:head-links -->': [
    '<link rel="icon" href="icon.svg" type="image/svg+xml">',
    '<link rel="manifest" href="manifest.webmanifest">',
  ],
};

// `html` with every block in place; `page` names it in the refusal.
export function stampHead(html, page) {
  for (const [placeholder, lines] of Object.entries(HEAD_BLOCKS)) {
    if (html.split(placeholder).length !== 2) throw new Error(`${page} must hold ${placeholder} exactly once (web/head.mjs)`);
    html = html.replace(placeholder, () => lines.join('\n'));
  }
  return html;
}
