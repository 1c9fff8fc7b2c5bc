// The app built with the shipped model (models/pneumonia.cxrm), when there is
// one: make test-web builds it into CXR_SHIPPED_WEB_DIR. Loads, is not flagged
// as a test model, classifies real films, and its model card renders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../web/serve.mjs';
import { DATA_DIR, SCREENSHOTS, HAVE_DATA, NO_DATA, launchBrowser } from './helpers.mjs';
import { grayPng } from '../support/fixtures.mjs';

const dir = process.env.CXR_SHIPPED_WEB_DIR;
const skip = !dir ? 'no shipped model (models/pneumonia.cxrm): the app with the shipped model is not tested' : false;
let server, browser, page, info;

before(async () => {
  if (skip) return;
  info = JSON.parse(readFileSync(join(dir, 'model-info.json'), 'utf8'));
  server = await serve({ root: dir, port: 0 });
  browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  ({ page } = browser);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the shipped model loads, is flagged only if it is a test model, and classifies real films', { skip: skip || (HAVE_DATA ? false : NO_DATA), timeout: 120_000 }, async () => {
  await page.goto(server.url);
  await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.isVisible('#test-model-banner'), /^random-/.test(info.name));
  const val = join(DATA_DIR, 'chest_xray_224', 'val');
  const paths = ['NORMAL', 'PNEUMONIA'].map((c) => join(val, c, readdirSync(join(val, c)).sort()[0]));
  await page.setInputFiles('#file-input', paths);
  await page.waitForFunction(() => document.body.dataset.busy === 'false' && document.querySelectorAll('#results-body tr[data-status=done]').length === 2, null, { timeout: 60_000 });
  const meaning = await page.textContent('#detail-meaning');
  if (typeof info.validationSensitivity === 'number') assert.match(meaning, /found \d+(\.\d)?% of pneumonia cases/);
  if (info.oodFeatureCheckAvailable) {
    // Real films pass the OOD gate; gray noise passes the image checks but
    // not the feature check, and is withheld.
    assert.match(await page.textContent('#detail-checks'), /^Checks passed/);
    let seed = 7;
    const noise = grayPng(400, 400, () => { seed = (seed * 1103515245 + 12345) >>> 0; return 60 + (seed >>> 24) / 2; });
    await page.setInputFiles('#file-input', { name: 'noise.png', mimeType: 'image/png', buffer: Buffer.from(noise) });
    await page.waitForFunction(() => document.body.dataset.busy === 'false' && document.querySelectorAll('#results-body tr[data-status=done]').length === 3, null, { timeout: 60_000 });
    await page.click('#results-body th.file >> text=noise.png');
    assert.equal(await page.textContent('#detail-decision'), 'WITHHELD');
    assert.match(await page.textContent('#detail-checks'), /far from those of the training films/);
  }
  const adultDir = join(DATA_DIR, 'adult_nih', 'PNEUMONIA');
  if (info.adultCheckAvailable && existsSync(adultDir)) {
    // An adult's film (issue 15) is withheld with its own reason, first, in
    // the details, the table's note, the CSV and the audit log.
    const adult = join(adultDir, readdirSync(adultDir).sort()[0]);
    await page.setInputFiles('#file-input', adult);
    const rows = info.oodFeatureCheckAvailable ? 4 : 3;
    await page.waitForFunction((n) => document.body.dataset.busy === 'false' && document.querySelectorAll('#results-body tr[data-status=done]').length === n, rows, { timeout: 60_000 });
    const name = adult.split('/').pop();
    await page.click(`#results-body th.file >> text=${name}`);
    assert.equal(await page.textContent('#detail-decision'), 'WITHHELD');
    assert.match(await page.textContent('#detail-checks'), /^It looks like an adult chest X-ray: the model was made for children aged about 1 to 5, and its answer would not mean anything here\./);
    assert.match(await page.textContent(`#results-body tr:has-text("${name}")`), /Out of scope: it looks like an adult chest X-ray/);
    await page.screenshot({ path: join(SCREENSHOTS, 'shipped-adult-withheld-1280x800.png') });
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'shipped-results-1280x800.png') });
  await page.goto(new URL('model-card.html', server.url).href);
  await page.waitForSelector('body[data-state=ready]');
  assert.match(await page.textContent('main'), new RegExp(info.checksum));
  if (info.oodFeatureCheckAvailable) assert.match(await page.textContent('#trust'), /All generated inputs\s*\d+(\.\d)?%/);
  await page.screenshot({ path: join(SCREENSHOTS, 'shipped-model-card-1280x800.png'), fullPage: true });
});
