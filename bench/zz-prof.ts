import { functionCopy } from '../test/support/function-copy.js';
import { generateImage, pushImage } from '../test/support/images.js';
import { startRegistry } from '../test/support/registry.js';
const source = await startRegistry({ name: 's' });
const auth = { username: 'AWS', password: 'bench-ecr-token-19' };
await pushImage(source.url, 'bench/engine', '1.0', generateImage({ platforms: ['linux/amd64'], attestation: true, layers: 4, layerBytes: 50 * 1024 * 1024, seed: 'x' }));
for (let i = 0; i < 4; i++) {
  for (const all of [false, true]) {
    const target = await startRegistry({ name: 't', htpasswd: auth });
    const t0 = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const log: string[] = [];
    await functionCopy({ source: 'quay.io/bench/engine:1.0', architecture: all ? 'all' : 'x86_64', target: '123456789012.dkr.ecr.us-east-1.amazonaws.com/b/e:1', endpoints: new Map([['quay.io', source.url], ['123456789012.dkr.ecr.us-east-1.amazonaws.com', target.url]]), credentials: new Map([['123456789012.dkr.ecr.us-east-1.amazonaws.com', auth]]), log });
    const c = process.cpuUsage(cpu);
    console.log(all ? 'all' : 'one', Number(process.hrtime.bigint() - t0) / 1e6, 'ms cpu', (c.user + c.system) / 1000);
    await target.stop();
  }
}
await source.stop();
