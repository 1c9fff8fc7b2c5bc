// A few classifier workers side by side, so that a batch uses every core:
// one worker per core, at most MAX_WORKERS. Each worker is a WorkerClient, so
// each is replaced if it dies, and the file it was reading is tried once more
// on its fresh worker and then fails alone while the batch goes on. Each
// worker holds one classifier (its own copy of the model): the first starts
// with the page, the others only once files wait with every started worker
// busy, so a page used for one film at a time never loads a second copy.
//
// inDropOrder() hands the results back in the order the files were dropped,
// whichever worker finishes first.
import { WorkerClient } from './worker-client.js';

export const MAX_WORKERS = 4;

// How many workers: one per core (cores: navigator.hardwareConcurrency), or
// `forced` (the page's ?workers=N, for measuring one worker against the
// pool), within 1..MAX_WORKERS.
export function workerCount({ cores, forced } = {}) {
  const wanted = Number(forced) >= 1 ? Number(forced) : Number(cores) || 1;
  return Math.min(MAX_WORKERS, Math.max(1, Math.floor(wanted)));
}

// What cancel() rejects the files with when given no reason.
export class Cancelled extends Error {
  constructor(message = 'Cancelled before it was classified.') {
    super(message);
    this.name = 'Cancelled';
  }
}

export class WorkerPool {
  // size: the most workers; the other options go to each WorkerClient
  // (createWorker, time limits, maxRestarts). onEvent sees 'ready' (the
  // first worker, and any worker restarted after a crash), 'added' (a further
  // worker ready: {workers}) and 'crash' (restarts: counted over the pool).
  constructor({ size = 1, onEvent = () => {}, ...clientOptions }) {
    Object.assign(this, { size: Math.max(1, size), onEvent, clientOptions });
    this.slots = [];
    this.queue = [];
    this.ready = null;
    this.fatal = null;
    this.restarts = 0;
  }

  // Resolves with the model info once the first worker has loaded the model;
  // rejects if it cannot.
  start() {
    this.ready ??= this.#add().started;
    return this.ready;
  }

  // Same contract as WorkerClient.classify: resolves with {sha256, result,
  // heapBytes, restarted}; rejects with why this file was not classified.
  classify(bytes, options = {}) {
    return new Promise((resolve, reject) => {
      if (this.fatal) return reject(this.fatal);
      this.queue.push({ bytes, options, resolve, reject });
      this.start().catch(() => {});
      this.#dispatch();
    });
  }

  // Workers started and not given up on.
  get workers() {
    return this.slots.filter((s) => !s.lost).length;
  }

  // Stops every worker at once: the files they are reading and every file
  // still waiting are rejected with `reason`. The pool can be used again
  // (start() or classify() starts a fresh worker).
  cancel(reason = new Cancelled()) {
    const slots = this.slots.splice(0), jobs = this.queue.splice(0);
    this.ready = null;
    for (const slot of slots) slot.client.cancel(reason);
    for (const job of jobs) job.reject(reason);
  }

  #add() {
    const slot = { job: null, started: null, ready: false, lost: false };
    const first = this.slots.length === 0;
    slot.client = new WorkerClient({ ...this.clientOptions, onEvent: (e) => this.#event(slot, e, first) });
    this.slots.push(slot);
    slot.started = slot.client.start();
    slot.started.then(() => {
      slot.ready = true;
      this.#dispatch();
    }, (err) => this.#lose(slot, err));
    return slot;
  }

  #event(slot, e, first) {
    if (!this.slots.includes(slot)) return;
    if (e.type === 'crash') {
      this.restarts++;
      this.onEvent({ ...e, restarts: this.restarts });
    } else if (e.type === 'ready') {
      // slot.ready is set just after its first 'ready'.
      if (first || slot.ready) this.onEvent(e);
      else {
        const workers = this.slots.filter((s) => s === slot || (s.ready && !s.lost)).length;
        this.onEvent({ type: 'added', workers, loadMs: e.loadMs, heapBytes: e.heapBytes });
      }
      // A worker back from a restart takes new files again.
      this.#dispatch();
    } else this.onEvent(e);
  }

  // A worker that is loaded and has no file: a restarting one (info null)
  // would keep the file waiting while another may be free.
  #idle(slot) {
    return !slot.job && !slot.lost && slot.client.info !== null;
  }

  #dispatch() {
    for (const slot of this.slots) {
      if (!this.queue.length) return;
      if (this.#idle(slot)) this.#run(slot, this.queue.shift());
    }
    // Files still wait: start as many more workers as would take them, once
    // one worker has shown that the model loads.
    if (!this.slots.some((s) => s.ready)) return;
    let starting = this.slots.filter((s) => !s.ready && !s.lost).length;
    while (this.queue.length > starting && this.slots.length < this.size) {
      this.#add();
      starting++;
    }
  }

  #run(slot, job) {
    slot.job = job;
    // The worker is free again before the file's answer is handed on, so
    // that a file sent in reply to it finds the worker free.
    const free = () => {
      slot.job = null;
      if (slot.client.fatal) this.#lose(slot, slot.client.fatal);
      else this.#dispatch();
    };
    slot.client.classify(job.bytes, job.options).then((answer) => {
      free();
      job.resolve(answer);
    }, (err) => {
      free();
      job.reject(err);
    });
  }

  // A worker that could not start, or kept stopping: the others carry on;
  // with none left, every waiting file fails with its reason.
  #lose(slot, err) {
    if (slot.lost || !this.slots.includes(slot)) return;
    slot.lost = true;
    if (this.slots.some((s) => !s.lost)) return this.#dispatch();
    this.fatal = err;
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}

// Runs work(item) for each item next() hands out (undefined: none for now),
// at most `limit` at a time and at most `ahead` taken but not yet committed,
// and calls commit(item, outcome) in the order the items were taken, whatever
// order their work settles in. outcome: {value} or {error}. Resolves once
// next() has nothing more and every item taken is committed; rejects if
// commit throws.
export function inDropOrder({ next, work, commit, limit, ahead = 4 * limit }) {
  return new Promise((resolve, reject) => {
    const taken = [];
    let running = 0;
    let failed = false;
    const flush = () => {
      while (taken.length && taken[0].outcome) {
        const { item, outcome } = taken.shift();
        commit(item, outcome);
      }
    };
    const settle = (entry, outcome) => {
      if (failed) return;
      entry.outcome = outcome;
      running--;
      try {
        flush();
      } catch (err) {
        failed = true;
        return reject(err);
      }
      fill();
    };
    const fill = () => {
      while (running < limit && taken.length < ahead) {
        const item = next();
        if (item === undefined) break;
        const entry = { item, outcome: null };
        taken.push(entry);
        running++;
        Promise.resolve().then(() => work(item)).then((value) => settle(entry, { value }), (error) => settle(entry, { error }));
      }
      if (!running && !taken.length) resolve();
    };
    fill();
  });
}
