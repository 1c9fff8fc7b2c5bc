// The page's shared state, in one place: the model loaded, the files and
// their results, the selection, the sort, the queue and the batch, the OOD
// policy. Modules change it through this one object.
import { workerCount } from './lib/worker-pool.js';
import { EtaEstimator } from './lib/format.js';
import { verdict, OOD_POLICIES } from './lib/wording.js';

// One classifier worker per core, or ?workers=N (to measure the pool
// against one worker).
export const WORKERS = workerCount({ cores: navigator.hardwareConcurrency, forced: new URLSearchParams(location.search).get('workers') });
export const OOD_POLICY_KEY = 'cxr.oodPolicy';

export const state = {
  info: null,
  preprocess: null,
  items: [],
  nextSeq: 1,
  selected: null,
  sort: { key: 'order', direction: 'ascending' },
  pending: [],
  pumping: false,
  batch: { total: 0, done: 0, errors: 0 },
  eta: new EtaEstimator(0.3, WORKERS),
  lastAnnounce: 0,
  // What to do with films the OOD gate flags (wording.js OOD_POLICIES).
  // The site calibration in use ({json, label} from lib/site-calibration.js), null: the model default.
  site: null,
  siteReady: null,  // settles once the saved one is checked: files wait for it
  oodPolicy: OOD_POLICIES.includes(localStorage.getItem(OOD_POLICY_KEY)) ? localStorage.getItem(OOD_POLICY_KEY) : 'withhold',
};

// The verdict shown for an item under the current policy; kept on the item
// so that sorting sees what the row shows.
export function view(item) {
  const v = verdict(item.result?.ok ? item.result : null, state.info, state.oodPolicy);
  item.verdict = item.result?.ok ? v.label : undefined;
  return v;
}
