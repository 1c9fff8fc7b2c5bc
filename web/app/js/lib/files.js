// Turning what the user dropped, picked or pasted into a flat list of
// {file, path}. Dropped folders are walked (FileSystemEntry API); hidden files
// and OS litter are skipped. Nothing here reads file contents.
import { skipName } from './sniff.js';

export const MAX_FILES = 5000;

function entryFile(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

// Walks a FileSystemEntry tree depth-first in name order. readEntries returns
// batches (100 at a time in Chromium) until an empty one.
export async function walkEntry(entry, out, { limit = MAX_FILES, path = '' } = {}) {
  if (out.length >= limit || skipName(entry.name)) return out;
  const here = path ? `${path}/${entry.name}` : entry.name;
  if (entry.isFile) {
    try {
      out.push({ file: await entryFile(entry), path: here });
    } catch (err) {
      out.push({ file: null, path: here, error: `could not be opened (${err?.message ?? err})` });
    }
    return out;
  }
  if (entry.isDirectory) {
    const reader = entry.createReader();
    const children = [];
    for (;;) {
      const batch = await readBatch(reader);
      if (!batch.length) break;
      children.push(...batch);
    }
    children.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    for (const child of children) {
      if (out.length >= limit) break;
      await walkEntry(child, out, { limit, path: here });
    }
  }
  return out;
}

// From a DataTransfer (drop or paste). Entries must be taken synchronously,
// before the first await: the DataTransfer is emptied once the event returns.
export async function filesFromDataTransfer(dt, { limit = MAX_FILES } = {}) {
  const entries = [], loose = [];
  const items = dt?.items ?? [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (!entries.length && !loose.length) {
    const files = dt?.files ?? [];
    for (let i = 0; i < files.length; i++) loose.push(files[i]);
  }
  const out = [];
  for (const f of loose) if (out.length < limit && !skipName(f.name)) out.push({ file: f, path: f.name });
  for (const e of entries) if (out.length < limit) await walkEntry(e, out, { limit });
  return out;
}

// From <input type=file> (with or without webkitdirectory).
export function filesFromInput(fileList, { limit = MAX_FILES } = {}) {
  const out = [];
  for (let i = 0; i < (fileList?.length ?? 0); i++) {
    const f = fileList[i];
    const path = f.webkitRelativePath || f.name;
    if (path.split('/').some(skipName)) continue;
    if (out.length >= limit) break;
    out.push({ file: f, path });
  }
  return out;
}
