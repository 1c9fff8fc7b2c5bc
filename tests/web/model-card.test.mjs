// The model card page in Chromium, on the app built with the random-weight
// fixture, with the metadata in its model-info.json swapped in flight: the
// fixture's own (schema 1, nothing measured), the shipped model's (schema 1
// written before the number was), one laid out otherwise, and a newer schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { serve } from '../../web/serve.mjs';
import { WEB_DIR, browserSkipReason, launchBrowser } from './helpers.mjs';

const skip = browserSkipReason();
const SHIPPED = new URL('../../models/pneumonia.cxrm', import.meta.url);
const T = { timeout: 60_000 };
let server, browser;

before(async () => {
  if (skip) return;
  server = await serve({ root: WEB_DIR, port: 0 });
  browser = await launchBrowser({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Opens the card with model-info.json's metadata passed through `edit`; waits
// until it is ready or has refused.
async function openCard(edit = (meta) => meta) {
  const { page } = browser;
  await page.unroute('**/model-info.json');
  await page.route('**/model-info.json', async (route) => {
    const response = await route.fetch();
    const info = await response.json();
    info.metadata = JSON.stringify(edit(JSON.parse(info.metadata)));
    await route.fulfill({ response, json: info });
  });
  await page.goto(new URL('model-card.html', server.url).href);
  await page.waitForSelector('body[data-state=ready], body[data-state=error]');
  return page;
}

function metadataOf(path) {
  const bytes = readFileSync(path);
  return JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(8)).toString('utf8'));
}

test('the fixture (schema 1, nothing measured): every evaluation is not available', { skip, ...T }, async () => {
  const page = await openCard((meta) => {
    assert.equal(meta.metadata_schema, 1, 'make_metadata writes the schema first');
    return meta;
  });
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  assert.match(await page.textContent('#evaluations'), /Test metrics with confidence intervals: not available for this model/);
  assert.ok(!(await page.isVisible('#load-error')) && !(await page.isVisible('#unreadable')));
});

test('a newer metadata schema: the card refuses, visibly, instead of guessing', { skip, ...T }, async () => {
  const page = await openCard((meta) => ({ ...meta, metadata_schema: 2, metrics: { test: { auc: { value: 0.99 } } } }));
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.ok(await page.isVisible('#load-error'));
  assert.equal(await page.textContent('#load-error'),
    'The model card cannot be shown: this model\'s metadata is schema 2, and this page reads schema 1. Update the app to a version that reads it.');
  assert.equal(await page.textContent('#evaluations'), '');
  assert.equal(await page.textContent('#model-facts'), '');
  assert.ok(!(await page.isVisible('#h-metrics')) && !(await page.isVisible('#h-model')), 'the sections the metadata would fill are hidden');
});

test('the shipped model\'s metadata: every split with CIs, confusion, ROC and reliability; another shape is named', {
  skip: skip || (existsSync(SHIPPED) ? false : 'no models/pneumonia.cxrm'), ...T,
}, async () => {
  const shipped = metadataOf(SHIPPED);
  let page = await openCard(() => shipped);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  const text = await page.textContent('#evaluations');
  assert.match(text, /Test split, report half \(held out; evaluated once\) \(311 images\)/);
  assert.match(text, /AUC \(ROC\)0\.\d{3} \(95% CI 0\.\d{3}–[01]\.\d{3}\)/);
  assert.doesNotMatch(text, /not available/);
  assert.equal(await page.locator('#evaluations table.confusion').count(), 4);
  assert.equal(await page.locator('#evaluations svg.roc').count(), 8, 'a ROC curve and a reliability diagram per split');
  assert.match(await page.textContent('#trust'), /All generated inputs\s*\d+(\.\d)?%/);
  assert.ok(!(await page.isVisible('#unreadable')));

  const test = { ...shipped.metrics.test, roc: { fpr: [0, 1], tpr: [0, 1] } };
  page = await openCard(() => ({ ...shipped, metrics: { ...shipped.metrics, test } }));
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  assert.equal(await page.textContent('#unreadable'), 'Not shown: metrics.test.roc is not laid out as metadata schema 1 says.');
  assert.equal(await page.locator('#evaluations svg.roc').count(), 7);
});
