// The page's worker pool with fake workers: as many workers as asked for,
// started only when files wait; results handed back in drop order whatever
// order the workers finish in; a worker that dies is replaced and its film
// retried once, a film that kills two workers fails alone; cancel stops
// everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, inDropOrder, workerCount, Cancelled, MAX_WORKERS } from '../../web/app/js/lib/worker-pool.js';
import { FakeWorker, ok, bytes, filmNumber, newLog } from './fake-worker.mjs';

function pool(behave, opts = {}) {
  const log = newLog();
  const p = new WorkerPool({ createWorker: () => new FakeWorker(behave, log), onEvent: (e) => log.events.push(e), ...opts });
  return { p, log };
}

// Films 1..n through the pool the way the page sends them: at most one more
// than there are workers in flight. Returns the committed [film, outcome]s.
async function batch(p, n, { limit = p.size + 1, ahead, onAnswer = () => {} } = {}) {
  const films = Array.from({ length: n }, (_, i) => i + 1);
  const committed = [];
  await inDropOrder({
    next: () => films.shift(), limit, ahead,
    work: (film) => p.classify(bytes(film)).then((answer) => { onAnswer(film); return answer; }),
    commit: (film, outcome) => committed.push([film, outcome]),
  });
  return committed;
}

// A worker whose answers come back slower for some films than for others.
const uneven = (delay) => (msg, w) => {
  if (msg.type === 'init') return ok(msg, w);
  setTimeout(() => ok(msg, w), delay(filmNumber(msg)));
};

test('one worker per core, at most four; ?workers=N overrides within 1..4', () => {
  assert.equal(workerCount({ cores: 2 }), 2);
  assert.equal(workerCount({ cores: 16 }), MAX_WORKERS);
  assert.equal(workerCount({ cores: undefined }), 1);
  assert.equal(workerCount({ cores: 0 }), 1);
  assert.equal(workerCount({ cores: 2, forced: 1 }), 1);
  assert.equal(workerCount({ cores: 2, forced: 3 }), 3);
  assert.equal(workerCount({ cores: 2, forced: 9 }), MAX_WORKERS);
  assert.equal(workerCount({ cores: 2, forced: 'x' }), 2);
  assert.equal(workerCount({ cores: 2, forced: null }), 2);
});

test('results come back in drop order when the workers finish out of order', async () => {
  const answered = [];
  // Odd films take much longer than even ones.
  const { p, log } = pool(uneven((n) => (n % 2 ? 25 : 2)), { size: 3 });
  await p.start();
  const committed = await batch(p, 20, { onAnswer: (film) => answered.push(film) });
  // Negative control: the workers did finish out of order.
  assert.notDeepEqual(answered, [...answered].sort((a, b) => a - b));
  assert.deepEqual(committed.map(([film]) => film), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const [film, outcome] of committed) assert.equal(outcome.value.result.n, film, 'each film gets its own result');
  assert.equal(log.spawned, 3, 'three workers for three asked');
  assert.equal(p.workers, 3);
  assert.ok(log.events.some((e) => e.type === 'added' && e.workers === 3));
});

test('no film waits on a slow one beyond the look-ahead', async () => {
  let inFlight = 0, most = 0;
  const { p } = pool(uneven((n) => (n === 1 ? 60 : 1)), { size: 2 });
  await p.start();
  const films = Array.from({ length: 30 }, (_, i) => i + 1);
  let committedCount = 0;
  await inDropOrder({
    next: () => films.shift(), limit: 3, ahead: 6,
    work: (film) => { inFlight++; most = Math.max(most, inFlight); return p.classify(bytes(film)); },
    commit: () => { inFlight--; committedCount++; },
  });
  assert.equal(committedCount, 30);
  assert.equal(most, 6, 'while film 1 is slow, at most `ahead` films are taken');
});

test('one worker asked for: one worker, even for a batch', async () => {
  const { p, log } = pool(ok, { size: 1 });
  await p.start();
  const committed = await batch(p, 10);
  assert.equal(committed.length, 10);
  assert.equal(log.spawned, 1);
});

test('extra workers start only once files wait', async () => {
  const { p, log } = pool(ok, { size: 4 });
  await p.start();
  await p.classify(bytes(1));
  await p.classify(bytes(2));
  assert.equal(log.spawned, 1, 'one film at a time never needs a second worker');
});

test('a worker that dies mid-film is replaced, the film retried on the fresh one, the batch goes on', async () => {
  let crashes = 1;
  const { p, log } = pool((msg, w) => {
    if (msg.type === 'classify' && filmNumber(msg) === 5 && crashes-- > 0) return w.emit('error', { message: 'boom', preventDefault() {} });
    ok(msg, w);
  }, { size: 2 });
  await p.start();
  const committed = await batch(p, 10);
  assert.deepEqual(committed.map(([film, o]) => o.value?.result.n ?? o.error.message), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(committed[4][1].value.restarted, true);
  assert.equal(log.spawned, 3, 'two workers and one replacement');
  assert.deepEqual(log.events.filter((e) => e.type === 'crash').map((e) => e.restarts), [1]);
  assert.equal(p.workers, 2);
});

test('a film that kills two workers in a row fails alone; the rest complete, in order', async () => {
  const { p, log } = pool((msg, w) => {
    if (msg.type === 'classify' && filmNumber(msg) === 3) return w.emit('message', { type: 'fatal', error: 'abort' });
    ok(msg, w);
  }, { size: 2 });
  await p.start();
  const committed = await batch(p, 8);
  assert.deepEqual(committed.map(([film]) => film), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const [film, outcome] of committed) {
    if (film === 3) assert.match(outcome.error.message, /stopped twice while reading this file/);
    else assert.equal(outcome.value.result.n, film);
  }
  assert.equal(log.spawned, 4, 'two workers and two replacements');
  assert.deepEqual(log.events.filter((e) => e.type === 'crash').map((e) => e.restarts), [1, 2]);
});

test('cancel stops every worker and fails every film in hand or waiting; the pool starts afresh after', async () => {
  let hang = true;
  const { p, log } = pool((msg, w) => {
    if (msg.type === 'classify' && hang) return;
    ok(msg, w);
  }, { size: 2 });
  await p.start();
  const pending = [1, 2, 3, 4, 5].map((n) => p.classify(bytes(n)));
  while (log.sent.filter((t) => t === 'classify').length < 2) await new Promise((r) => setTimeout(r, 5));
  const sent = log.sent.length;
  p.cancel();
  const settled = await Promise.allSettled(pending);
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  for (const s of settled) assert.ok(s.reason instanceof Cancelled, String(s.reason));
  assert.equal(log.terminated, log.spawned, 'every worker stopped');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(log.sent.length, sent, 'nothing sent after cancel');
  assert.equal(p.workers, 0);
  hang = false;
  const again = await p.classify(bytes(9));
  assert.equal(again.result.n, 9);
});

test('a model that cannot load fails every film with its reason; no second worker is tried', async () => {
  const { p, log } = pool((msg, w) => {
    if (msg.type === 'init') w.emit('message', { type: 'init-error', error: 'The model file could not be loaded: bad checksum' });
  }, { size: 2 });
  const films = [1, 2, 3].map((n) => p.classify(bytes(n)));
  await assert.rejects(p.start(), /bad checksum/);
  for (const f of films) await assert.rejects(f, /bad checksum/);
  await assert.rejects(p.classify(bytes(4)), /bad checksum/);
  assert.equal(log.spawned, 1);
});

test('a further worker that cannot be created leaves the batch to the ones that run', async () => {
  const log = newLog();
  let created = 0;
  const p = new WorkerPool({
    size: 3, onEvent: (e) => log.events.push(e),
    createWorker: () => {
      if (created++ > 0) throw new Error('out of memory');
      return new FakeWorker(ok, log);
    },
  });
  await p.start();
  const committed = await batch(p, 6);
  assert.deepEqual(committed.map(([, o]) => o.value.result.n), [1, 2, 3, 4, 5, 6]);
  assert.equal(p.workers, 1);
});
