// Shared by the web tests: where things are, and a gray PNG made without any
// image library (for tests that must run without the X-ray data set).
import { grayPng as fixtureGrayPng } from '../support/fixtures.mjs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WEB_DIR = resolve(process.env.CXR_WEB_DIR ?? 'build/web-test');
export const DATA_DIR = resolve(process.env.CXR_DATA_DIR ?? '../shared/data');
export const FIXTURES = resolve(process.env.CXR_FIXTURES ?? 'build/fixtures');
export const CHROMIUM = process.env.CXR_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve(process.env.CXR_SCREENSHOTS ?? 'build/web-test-screenshots');
export const HAVE_DATA = existsSync(join(DATA_DIR, 'chest_xray_224', 'val'));
export const NO_DATA = `no X-ray data at ${DATA_DIR} (set CXR_DATA_DIR): skipping the tests with real films`;

// Under make (CXR_WEB_DIR set) a missing app or browser is a failure; run by
// hand without a build, the browser tests skip and say why.
export function browserSkipReason() {
  if (process.env.CXR_WEB_DIR) return false;
  if (!existsSync(join(WEB_DIR, 'index.html'))) return `no built app at ${WEB_DIR}: run make test-web`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  return false;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync', '--disable-dev-shm-usage'];

// Debian's Chromium through playwright-core, headless, with a new profile in a
// temporary folder named `profile`...; `options` go to launchPersistentContext
// (viewport, serviceWorkers, ...). close() closes it and removes the profile.
export async function launchBrowser({ profile = 'cxr-chromium-', ...options } = {}) {
  const userDir = mkdtempSync(join(tmpdir(), profile));
  const removeProfile = () => rmSync(userDir, { recursive: true, force: true });
  let context;
  try {
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ...options,
    });
  } catch (e) {
    removeProfile();
    throw e;
  }
  const page = context.pages()[0] ?? await context.newPage();
  const close = async () => {
    await context.close();
    removeProfile();
  };
  return { context, page, close };
}

// An 8-bit gray PNG of a soft "chest-like" blob pattern.
export function grayPng(width = 320, height = 288, seed = 1) {
  return Buffer.from(fixtureGrayPng(width, height, (x, y) => {
    const dx = (x - width / 2) / width, dy = (y - height / 2) / height;
    const lung = Math.exp(-((Math.abs(dx) - 0.2) ** 2 + dy * dy) * 18);
    const v = 40 + 150 * (1 - lung) + 30 * Math.sin((x + seed * 7) / 9) * Math.cos(y / 13);
    return Math.max(0, Math.min(255, Math.round(v)));
  }));
}
