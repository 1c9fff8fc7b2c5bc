// The first script the page runs (an async module with no imports, so it
// does not wait for the rest of the page's scripts): it starts the classifier
// worker, which begins loading the wasm module and the model at once.
// app.js imports this same module instance and hands the worker to its client.
const create = () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'cxr-classifier' });
let early = create();

// The early worker once, then a fresh one for each restart.
export function classifierWorker() {
  const worker = early ?? create();
  early = null;
  return worker;
}
