// The pages' shared head lines (web/head.mjs), stamped by web/build.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HEAD_BLOCKS, stampHead } from '../../web/head.mjs';
import { CSP_META } from '../../web/security.mjs';

const PAGES = ['index.html', 'model-card.html', 'calibrate.html'];

test('every page holds each head placeholder once, and is stamped with the CSP and the rest', () => {
  for (const page of PAGES) {
    const html = stampHead(readFileSync(new URL(`../../web/app/${page}`, import.meta.url), 'utf8'), page);
    assert.ok(!html.includes('<!-- cxr:'), page);
    assert.match(html, /^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="([^"]+)">\n/);
    assert.ok(html.includes(`content="${CSP_META}"`), page);
    for (const lines of Object.values(HEAD_BLOCKS)) assert.ok(html.includes(lines.join('\n')), page);
  }
});

test('a page without a placeholder, or with one twice, is refused by name', () => {
  const whole = Object.keys(HEAD_BLOCKS).join('\n');
  assert.throws(() => stampHead('<head><title>x</title></head>', 'bare.html'), /bare\.html must hold <!-- cxr:head --> exactly once/);
  assert.throws(() => stampHead(`${whole}\n${whole}`, 'twice.html'), /twice\.html must hold <!-- cxr:head --> exactly once/);
  assert.throws(() => stampHead('<!-- cxr:head -->', 'half.html'), /half\.html must hold <!-- cxr:head-links --> exactly once/);
  assert.equal(stampHead(whole, 'ok.html'), Object.values(HEAD_BLOCKS).map((l) => l.join('\n')).join('\n'));
});
