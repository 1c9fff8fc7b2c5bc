// Sorting the results table. Keys are stable and errors/pending rows sort
// after finished ones whatever the direction, so they are easy to find.

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const STATUS_RANK = { done: 0, error: 1, working: 2, queued: 3 };

// What the row shows: the page sets item.verdict (wording.js); a withheld
// probability must not sort as if it were shown.
const label = (it) => it.verdict ?? it.result?.decision ?? '';
const shownProbability = (it) => (it.verdict === 'WITHHELD' ? -1 : it.result?.positive_probability ?? 0);

export const SORT_KEYS = {
  order: (a, b) => a.seq - b.seq,
  name: (a, b) => collator.compare(a.name, b.name),
  decision: (a, b) => collator.compare(label(a), label(b)),
  probability: (a, b) => shownProbability(a) - shownProbability(b),
  warnings: (a, b) => (a.result?.warnings?.length ?? 0) - (b.result?.warnings?.length ?? 0),
  time: (a, b) => (a.result?.timings_ms?.total ?? 0) - (b.result?.timings_ms?.total ?? 0),
};

function finished(it) {
  return it.status === 'done' && it.result?.ok;
}

export function sortItems(items, key = 'order', direction = 'ascending') {
  const cmp = SORT_KEYS[key] ?? SORT_KEYS.order;
  const sign = direction === 'descending' ? -1 : 1;
  return items
    .map((it, i) => [it, i])
    .sort(([a, ia], [b, ib]) => {
      const fa = finished(a), fb = finished(b);
      if (key !== 'order' && key !== 'name' && fa !== fb) return fa ? -1 : 1;
      if (key !== 'order' && key !== 'name' && !fa && !fb) {
        const r = (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9);
        return r || a.seq - b.seq;
      }
      return sign * cmp(a, b) || ia - ib;
    })
    .map(([it]) => it);
}

// Clicking a column: a new column sorts ascending (probability: highest
// first, which is what a reader wants), the same column flips.
export function nextSort(current, key) {
  if (current.key === key) return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  return { key, direction: key === 'probability' ? 'descending' : 'ascending' };
}
