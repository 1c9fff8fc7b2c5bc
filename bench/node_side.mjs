// The side-by-side in Node, shared by peers_bench.mjs (the shipped model) and
// mobilenet_bench.mjs (the MobileNetV2 fixture): the full-resolution films,
// and every peer loaded in this process, compared with ours on all films and
// timed in interleaved rounds on the first.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEERS } from './peers.mjs';
import { nodeLibs } from './node_libs.mjs';
import { agreement, latency } from './compare.mjs';

// The sorted paths of the full-resolution sample films under `dataDir`, or []
// where the shared data is absent.
export function fullResolutionFilms(dataDir) {
  const samples = join(dataDir, 'chest_xray_fullres_samples');
  if (!existsSync(samples)) return [];
  return readdirSync(samples, { recursive: true }).filter((f) => f.endsWith('.jpeg')).sort().map((f) => join(samples, f));
}

// {agree, ms} for `names` (the first is ours: the reference and the one that
// preprocesses each film's bytes), then every net disposed.
export async function nodeSideBySide(names, filmBytes, runs, temperature) {
  const nets = {};
  for (const n of names) nets[n] = await PEERS[n](nodeLibs);
  try {
    const inputs = filmBytes.map((b) => nets[names[0]].preprocess(b));
    return { agree: await agreement(nets, inputs, temperature), ms: await latency(nets, inputs[0], runs) };
  } finally {
    for (const net of Object.values(nets)) net.dispose();
  }
}
