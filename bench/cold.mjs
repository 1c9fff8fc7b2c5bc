// One peer's cold start in a fresh Node process (node bench/cold.mjs PEER):
// import the runtime, read the model file, compile, load, first logits.
// Prints the milliseconds; peers_bench.mjs runs it.
const t0 = performance.now();
const [{ PEERS }, { nodeLibs }] = await Promise.all([import('./peers.mjs'), import('./node_libs.mjs')]);
const net = await PEERS[process.argv[2]](nodeLibs);
const { input } = (await import('./cxrm.mjs')).readCxrmMetadata(await nodeLibs.model('cxrm'));
await net.run(new Float32Array(input.height * input.width * input.channels));
console.log((performance.now() - t0).toFixed(1));
