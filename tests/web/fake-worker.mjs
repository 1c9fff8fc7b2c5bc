// A fake classifier Worker for the worker client and pool tests:
// `behave(msg, worker)` decides what it answers (see ok() for a healthy one).
import assert from 'node:assert/strict';

export class FakeWorker {
  constructor(behave, log) {
    this.behave = behave;
    this.log = log;
    this.listeners = { message: [], error: [], messageerror: [] };
    this.terminated = false;
    log.spawned++;
  }
  addEventListener(type, fn) { this.listeners[type].push(fn); }
  emit(type, data) { if (!this.terminated) for (const fn of this.listeners[type]) fn(type === 'message' ? { data } : data); }
  postMessage(msg, transfer) {
    if (transfer?.length) assert.ok(transfer[0] instanceof ArrayBuffer);
    this.log.sent.push(msg.type);
    setTimeout(() => this.behave(msg, this), 1);
  }
  terminate() { this.terminated = true; this.log.terminated++; }
}

// The film's number: its one byte.
export const filmNumber = (msg) => new Uint8Array(msg.bytes)[0];
export const bytes = (n) => new Uint8Array([n]).buffer;

// A healthy worker: ready at once, and a result that names the film.
export function ok(msg, w) {
  if (msg.type === 'init') w.emit('message', { type: 'ready', info: { name: 'm' }, loadMs: 1 });
  else w.emit('message', { type: 'result', id: msg.id, sha256: `h${filmNumber(msg)}`, result: { ok: true, n: filmNumber(msg) } });
}

export const newLog = () => ({ spawned: 0, terminated: 0, sent: [], events: [] });
