// Which rows of the results table are in (or near) its scrolled view, so
// that what only a visible row needs — its thumbnail: a blob URL and an image
// decode per film, half a second of the page's thread for a 500-file batch —
// is done for those rows, and for the others when they scroll in.
export class RowsInView {
  // root: the scrolling element; onVisible(item) when a row comes into view.
  constructor({ root, onVisible, margin = '200px' }) {
    this.onVisible = onVisible;
    this.items = new WeakMap();  // row -> item
    this.visible = new WeakSet();
    this.observer = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => this.#seen(entries), { root, rootMargin: margin })
      : null;
  }

  watch(row, item) {
    if (!this.observer) return;
    this.items.set(row, item);
    this.observer.observe(row);
  }

  // Without IntersectionObserver every row counts as visible.
  has(item) {
    return !this.observer || this.visible.has(item);
  }

  #seen(entries) {
    for (const entry of entries) {
      const item = this.items.get(entry.target);
      if (!item) continue;
      if (entry.isIntersecting) {
        this.visible.add(item);
        this.onVisible(item);
      } else this.visible.delete(item);
    }
  }
}
