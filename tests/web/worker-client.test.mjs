// The page's worker client with a fake worker: one file at a time, results in
// order, and a worker that dies (error event, wasm abort, hang) is replaced
// while the batch goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerClient } from '../../web/app/js/lib/worker-client.js';
import { FakeWorker, ok, bytes, filmNumber, newLog } from './fake-worker.mjs';

function client(behave, opts = {}) {
  const log = newLog();
  const c = new WorkerClient({ createWorker: () => new FakeWorker(behave, log), onEvent: (e) => log.events.push(e.type), ...opts });
  return { c, log };
}

test('classifies queued files one at a time, in order', async () => {
  const { c, log } = client(ok);
  const info = await c.start();
  assert.equal(info.name, 'm');
  const results = await Promise.all([1, 2, 3].map((n) => c.classify(bytes(n))));
  assert.deepEqual(results.map((r) => r.result.n), [1, 2, 3]);
  assert.deepEqual(results.map((r) => r.sha256), ['h1', 'h2', 'h3']);
  assert.deepEqual(log.sent, ['init', 'classify', 'classify', 'classify']);
  assert.equal(log.spawned, 1);
});

test('a worker that dies mid-file is replaced and the file is retried', async () => {
  let crashes = 1;
  const { c, log } = client((msg, w) => {
    if (msg.type === 'classify' && filmNumber(msg) === 2 && crashes-- > 0) return w.emit('error', { message: 'boom', preventDefault() {} });
    ok(msg, w);
  });
  await c.start();
  const results = await Promise.all([1, 2, 3].map((n) => c.classify(bytes(n))));
  assert.deepEqual(results.map((r) => r.result.n), [1, 2, 3]);
  assert.equal(results[1].restarted, true);
  assert.equal(log.spawned, 2);
  assert.ok(log.events.includes('crash'));
});

test('a file that kills the worker twice fails alone; the rest go on', async () => {
  const { c } = client((msg, w) => {
    if (msg.type === 'classify' && filmNumber(msg) === 2) return w.emit('message', { type: 'fatal', error: 'abort' });
    ok(msg, w);
  });
  await c.start();
  const settled = await Promise.allSettled([1, 2, 3].map((n) => c.classify(bytes(n))));
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(settled[1].reason.message, /stopped twice while reading this file/);
});

test('a hung worker is replaced after the per-file time limit', async () => {
  let hangs = 1;
  const { c, log } = client((msg, w) => {
    if (msg.type === 'classify' && hangs-- > 0) return;
    ok(msg, w);
  }, { jobTimeoutMs: 50 });
  await c.start();
  const r = await c.classify(bytes(7));
  assert.equal(r.result.n, 7);
  assert.equal(log.spawned, 2);
  assert.ok(log.terminated >= 1);
});

test('a model that cannot load fails every file with its reason, once', async () => {
  const { c, log } = client((msg, w) => {
    if (msg.type === 'init') w.emit('message', { type: 'init-error', error: 'The model file could not be loaded: bad checksum' });
  });
  await assert.rejects(c.start(), /bad checksum/);
  await assert.rejects(c.classify(bytes(1)), /bad checksum/);
  assert.equal(log.spawned, 1);
});

test('a worker that keeps dying gives up with a plain message instead of looping', async () => {
  const { c, log } = client((msg, w) => w.emit('error', { message: 'cannot load module' }), { maxRestarts: 3 });
  await assert.rejects(c.start(), /keeps stopping/);
  assert.equal(log.spawned, 4);
});
