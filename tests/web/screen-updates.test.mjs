// ScreenUpdates: rows changed while a batch runs are drawn together, at most
// every `interval` ms while files wait, and in the next frame otherwise.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ScreenUpdates } from '../../web/app/js/lib/screen-updates.js';

function harness({ busy = false, interval = 250 } = {}) {
  const h = { clock: 0, frames: [], timers: [], draws: [], busy };
  h.screen = new ScreenUpdates({
    interval,
    busy: () => h.busy,
    draw: (items) => h.draws.push({ at: h.clock, items }),
    frame: (fn) => h.frames.push(fn),
    timer: (fn, ms) => h.timers.push({ at: h.clock + ms, fn }),
    now: () => h.clock,
  });
  h.nextFrame = () => { const fns = h.frames.splice(0); for (const fn of fns) fn(); };
  h.advance = (ms) => {
    h.clock += ms;
    for (const t of h.timers.filter((x) => x.at <= h.clock)) { h.timers.splice(h.timers.indexOf(t), 1); t.fn(); }
  };
  return h;
}

test('one film at a time: drawn in the next frame, nothing waits on a timer', () => {
  const h = harness();
  h.screen.changed('a');
  assert.equal(h.draws.length, 0);
  h.nextFrame();
  assert.deepEqual(h.draws, [{ at: 0, items: ['a'] }]);
  h.clock = 10;
  h.screen.changed('b');
  h.nextFrame();
  assert.deepEqual(h.draws.map((d) => d.items), [['a'], ['b']]);
  assert.equal(h.timers.length, 0);
});

test('a batch: changes coalesce, in the order first marked, at most one draw per interval', () => {
  const h = harness({ busy: true });
  h.screen.changed('a');  // nothing drawn yet this batch: the first frame draws it
  h.nextFrame();
  assert.deepEqual(h.draws.map((d) => d.items), [['a']]);
  h.advance(40);
  for (const item of ['b', 'c', 'b', 'd']) h.screen.changed(item);
  h.screen.changed();  // the batch line only
  h.nextFrame();
  assert.equal(h.draws.length, 1, 'not before the interval is over');
  h.advance(200);  // 240 ms after the last draw
  h.nextFrame();
  assert.equal(h.draws.length, 1);
  h.advance(10);   // 250 ms: the timer asks for a frame
  h.nextFrame();
  assert.deepEqual(h.draws.map((d) => d.items), [['a'], ['b', 'c', 'd']]);
  assert.equal(h.draws[1].at, 250);
});

test('flush() draws what is pending now, and the scheduled frame then draws nothing new', () => {
  const h = harness({ busy: true });
  h.screen.changed('a');
  h.screen.flush();
  assert.deepEqual(h.draws.map((d) => d.items), [['a']]);
  h.nextFrame();
  assert.deepEqual(h.draws.map((d) => d.items), [['a'], []]);
  h.screen.changed('b');  // the earlier frame came and went: a new one is scheduled
  h.advance(250);
  h.nextFrame();
  assert.deepEqual(h.draws.at(-1).items, ['b']);
});
