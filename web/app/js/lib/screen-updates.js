// Coalesces what a batch changes on screen. Every file changes its row twice
// (reading, then the decision) and the batch line once; drawn one by one,
// a 500-file batch re-laid out and re-painted the table a thousand times and
// kept the page's one thread busier than the classifier workers (Chromium
// trace: two thirds of the page's time in layout, paint and compositing), so
// a second worker barely helped. Here the changed rows and the batch line are
// drawn together: in the next frame when the page is nearly idle (one film
// at a time stays as quick as before), at most every `interval` ms while
// more files wait.
export class ScreenUpdates {
  // draw(items): puts the changed rows (in the order first marked) and the
  // batch line on screen. busy(): true while enough files wait that drawing
  // can lag a little.
  constructor({ draw, busy, interval = 250, frame = (fn) => requestAnimationFrame(fn), timer = (fn, ms) => setTimeout(fn, ms),
    now = () => performance.now() }) {
    Object.assign(this, { draw, busy, interval, frame, timer, now });
    this.dirty = new Set();
    this.scheduled = false;
    this.last = -Infinity;
  }

  // This item's row (or only the batch line, without one) needs drawing.
  changed(item) {
    if (item) this.dirty.add(item);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.busy() ? this.last + this.interval - this.now() : 0;
    const inFrame = () => this.frame(() => this.flush());
    if (wait > 0) this.timer(inFrame, wait);
    else inFrame();
  }

  // Draws everything pending now (also before a whole-table render, so that
  // no row is drawn from stale state afterwards).
  flush() {
    this.scheduled = false;
    this.last = this.now();
    const items = [...this.dirty];
    this.dirty.clear();
    this.draw(items);
  }
}
