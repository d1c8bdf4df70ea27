import { spawnSync } from 'node:child_process';
import { functionCopy } from '../test/support/function-copy.js';
import { generateImage, pushImage } from '../test/support/images.js';
import { startRegistry } from '../test/support/registry.js';
const source = await startRegistry({ name: 's' });
const auth = { username: 'AWS', password: 'bench-ecr-token-19' };
await pushImage(source.url, 'bench/engine', '1.0', generateImage({ platforms: ['linux/amd64'], attestation: true, layers: 4, layerBytes: 50 * 1024 * 1024, seed: 'x' }));
const e: number[] = [], k: number[] = [];
for (let i = 0; i < 6; i++) {
  let target = await startRegistry({ name: 't', htpasswd: auth });
  let t0 = process.hrtime.bigint();
  spawnSync('skopeo', ['--override-os', 'linux', '--override-arch', 'amd64', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'AWS:bench-ecr-token-19', `docker://${source.host}/bench/engine:1.0`, `docker://${target.host}/bench/engine:1.0`]);
  k.push(Number(process.hrtime.bigint() - t0) / 1e6);
  await target.stop();
  target = await startRegistry({ name: 't2', htpasswd: auth });
  t0 = process.hrtime.bigint();
  await functionCopy({ source: 'quay.io/bench/engine:1.0', architecture: 'x86_64', target: '123456789012.dkr.ecr.us-east-1.amazonaws.com/b/e:1', endpoints: new Map([['quay.io', source.url], ['123456789012.dkr.ecr.us-east-1.amazonaws.com', target.url]]), credentials: new Map([['123456789012.dkr.ecr.us-east-1.amazonaws.com', auth]]) });
  e.push(Number(process.hrtime.bigint() - t0) / 1e6);
  await target.stop();
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log('RESULT skopeo', med(k).toFixed(0), 'engine', med(e).toFixed(0), 'ratio', (med(e) / med(k)).toFixed(3), JSON.stringify({ k: k.map(Math.round), e: e.map(Math.round) }));
await source.stop();
