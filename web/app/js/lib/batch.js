// A batch's way through the classifier pool: each file read (only a few
// ahead of the workers, so memory stays flat however many are dropped),
// hashed while it is classified, and handed back to the page in drop order
// whichever worker finishes first.
import { inDropOrder } from './worker-pool.js';
import { hex } from './format.js';
import { SNIFF_BYTES } from './sniff.js';

export const MAX_FILE_BYTES = 256 * 1024 * 1024;

// The whole file, read once (a read-ahead while earlier files are classified,
// or the first file of a batch); null for a file too large to read.
export function readBytes(item) {
  if (item.size > MAX_FILE_BYTES) return null;
  item.reading ??= item.file.arrayBuffer();
  item.reading.catch(() => {});
  return item.reading;
}

// Reads, hashes and classifies one item, setting its error, or its result and
// heat map. Resolves with the wasm heap in use of the worker that read it.
async function classifyItem(item, pool, site) {
  if (item.size > MAX_FILE_BYTES) {
    item.error = `This file is ${Math.round(item.size / 1048576)} MB; files over ${MAX_FILE_BYTES / 1048576} MB are not read.`;
    return undefined;
  }
  let bytes;
  try {
    bytes = await readBytes(item);
    performance.mark('cxr-read');
    // What kind of file it is comes from these bytes (kept before they go to
    // the worker), not from a second read of every file up front.
    item.head = new Uint8Array(bytes.slice(0, SNIFF_BYTES));
    // The file's SHA-256 (for the CSV and the audit log), computed off the
    // main thread while a worker classifies: digest() copies the bytes now,
    // before they are transferred to the worker.
    item.hashing = crypto.subtle.digest('SHA-256', bytes).then((h) => { item.sha256 = hex(h); }, (err) => {
      console.warn('SHA-256:', err);
    });
  } catch (err) {
    item.error = `This file could not be read from disk (${err?.message ?? err}).`;
    return undefined;
  } finally {
    item.reading = null;
  }
  try {
    const file = item.file;
    const { result, heapBytes } = await pool.classify(bytes, { reread: () => file.arrayBuffer(), site });
    performance.mark('cxr-answer');
    if (result.ok) {
      item.heat = result.heatmap?.values ?? null;  // kept apart: the result stays small
      if (result.heatmap) delete result.heatmap.values;
      item.result = result;
    } else item.error = result.error;
    return heapBytes;
  } catch (err) {
    item.error = err?.message ?? String(err);
    return undefined;
  }
}

// Classifies the items in `pending` (those added meanwhile too) on the pool:
// one per worker at a time plus one being read ahead. started(item) as each
// is taken, finished(item, heapBytes) in the order they were queued. site:
// the site calibration's record to classify under ('' the model default).
export function classifyInOrder({ pool, pending, started, finished, site }) {
  return inDropOrder({
    limit: pool.size + 1,
    next: () => pending.shift(),
    work: (item) => {
      started(item);
      return classifyItem(item, pool, site);
    },
    commit: (item, { value }) => finished(item, value),
  });
}
