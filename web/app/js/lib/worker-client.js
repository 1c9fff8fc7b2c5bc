// The main thread's side of the classifier worker: one file at a time, a
// watchdog per file, and if the worker dies (uncaught error, wasm abort,
// hang) it is replaced and the batch goes on. A file that was being read when
// the worker died is tried once more; if the worker dies on it again, that
// file alone fails.
//
// createWorker() returns something Worker-like: postMessage, terminate,
// addEventListener('message' | 'error' | 'messageerror'), and its files (the
// wasm module and the model) on their way to it. Tests pass a fake.

export class WorkerClient {
  constructor({ createWorker, jobTimeoutMs = 120000, initTimeoutMs = 120000, maxRestarts = 8, onEvent = () => {} }) {
    Object.assign(this, { createWorker, jobTimeoutMs, initTimeoutMs, maxRestarts, onEvent });
    this.queue = [];
    this.current = null;
    this.worker = null;
    this.info = null;
    this.restarts = 0;
    this.fatal = null;
    this.nextId = 1;
    this.generation = 0;
    this.ready = null;
  }

  // Resolves with the model info once the worker has loaded the model.
  start() {
    if (!this.ready) this.ready = this.#spawn();
    return this.ready;
  }

  // bytes: ArrayBuffer (transferred to the worker). Resolves with
  // {sha256, result, heapBytes}; rejects only if the worker cannot be kept alive.
  // reread: () => Promise<ArrayBuffer>, the same bytes again (the page passes
  // file.arrayBuffer). With it the buffer is transferred as is and re-read only
  // if the worker dies on it; without it a copy is kept for that retry.
  classify(bytes, { reread = null, ...meta } = {}) {
    return new Promise((resolve, reject) => {
      if (this.fatal) return reject(this.fatal);
      this.queue.push({ id: this.nextId++, bytes, reread, meta, attempts: 0, resolve, reject });
      this.#pump();
    });
  }

  get busy() {
    return this.current !== null || this.queue.length > 0;
  }

  terminate() {
    this.generation++;
    this.worker?.terminate();
    this.worker = null;
    clearTimeout(this.timer);
  }

  // Stops the worker now: the file it is reading and every queued one are
  // rejected with `reason`. start() begins afresh.
  cancel(reason) {
    this.terminate();
    this.info = null;
    this.ready = null;
    this.#rejectAll(reason);
  }

  #spawn() {
    const gen = ++this.generation;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why) => {
        if (gen !== this.generation) return;
        if (!settled) {
          settled = true;
          this.#died(why, { resolve, reject });
        } else this.#died(why);
      };
      let worker;
      try {
        worker = this.createWorker();
      } catch (err) {
        settled = true;
        this.fatal = new Error(`The classifier could not start: ${err?.message ?? err}`);
        return reject(this.fatal);
      }
      this.worker = worker;
      worker.addEventListener('error', (e) => {
        e?.preventDefault?.();
        fail(`worker error: ${e?.message ?? 'unknown'}`);
      });
      worker.addEventListener('messageerror', () => fail('worker message could not be read'));
      worker.addEventListener('message', (e) => {
        if (gen !== this.generation) return;
        const m = e.data ?? {};
        if (m.type === 'ready') {
          clearTimeout(this.timer);
          settled = true;
          this.info = m.info;
          this.onEvent({ type: 'ready', info: m.info, loadMs: m.loadMs, heapBytes: m.heapBytes, restarted: this.restarts > 0 });
          resolve(m.info);
          this.#pump();
        } else if (m.type === 'init-error') {
          clearTimeout(this.timer);
          settled = true;
          this.fatal = new Error(m.error);
          this.terminate();
          this.#rejectAll(this.fatal);
          reject(this.fatal);
        } else if (m.type === 'fatal') {
          fail(m.error ?? 'the classifier stopped');
        } else if (m.type === 'result') {
          this.#finished(m);
        }
      });
      clearTimeout(this.timer);
      this.timer = setTimeout(() => fail('the classifier did not start in time'), this.initTimeoutMs);
      worker.postMessage({ type: 'init' });
    });
  }

  #pump() {
    if (this.current || !this.queue.length || !this.info || !this.worker || this.fatal) return;
    const job = this.queue.shift();
    if (!job.bytes) {
      // A retry after a crash, the buffer having gone to the dead worker: read
      // the file again, then send it.
      this.current = job;
      const gen = this.generation;
      job.reread().then((b) => {
        if (this.current !== job || gen !== this.generation) return;
        this.current = null;
        job.bytes = b;
        this.queue.unshift(job);
        this.#pump();
      }, (err) => {
        if (this.current !== job || gen !== this.generation) return;
        this.current = null;
        job.reject(new Error(`This file could not be read again after the classifier stopped (${err?.message ?? err}).`));
        this.#pump();
      });
      return;
    }
    job.attempts++;
    this.current = job;
    // The first send transfers (empties) the buffer: without a way to re-read
    // the file, keep a copy for a retry.
    const payload = job.attempts === 1 && this.maxRestarts > 0 && !job.reread ? job.bytes.slice(0) : job.bytes;
    if (job.attempts === 1) job.retryBytes = job.reread ? null : job.bytes;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#died('the file took too long'), this.jobTimeoutMs);
    // site: the site calibration to classify under ('' the model default);
    // request: a calibration request answered instead of a classification.
    const { site, request } = job.meta;
    this.worker.postMessage({ type: 'classify', id: job.id, bytes: payload, site, request }, [payload]);
  }

  #finished(m) {
    const job = this.current;
    if (!job || job.id !== m.id) return;
    clearTimeout(this.timer);
    this.current = null;
    job.resolve({ sha256: m.sha256, result: m.result, heapBytes: m.heapBytes, restarted: job.attempts > 1 });
    this.#pump();
  }

  // start: the pending start() promise's settle functions when the worker
  // died before it was ready.
  #died(why, start) {
    clearTimeout(this.timer);
    this.terminate();
    this.info = null;
    this.restarts++;
    const job = this.current;
    this.current = null;
    this.onEvent({ type: 'crash', why, restarts: this.restarts });
    if (job) {
      if (job.attempts < 2) {
        job.bytes = job.retryBytes;
        this.queue.unshift(job);
      } else {
        job.reject(new Error('The classifier stopped twice while reading this file, so it was skipped; the rest of the batch goes on.'));
      }
    }
    if (this.restarts > this.maxRestarts) {
      this.fatal = new Error(`The classifier keeps stopping (${why}). Reload the page to try again.`);
      this.#rejectAll(this.fatal);
      start?.reject(this.fatal);
      return;
    }
    this.ready = this.#spawn();
    this.ready.catch(() => {});
    if (start) this.ready.then(start.resolve, start.reject);
  }

  #rejectAll(err) {
    const jobs = [...(this.current ? [this.current] : []), ...this.queue];
    this.current = null;
    this.queue = [];
    for (const j of jobs) j.reject(err);
  }
}
