// Child process of the large-layer memory test (test/integration/copy-engine.test.ts): copies one image with the
// function engine's copy (function-copy.ts) and reports its own peak resident set size, read from the kernel
// (/proc/self/status VmHWM), which does not depend on how fast anything ran. Started with a V8 heap limit far
// below the layer's size, so holding the layer in JavaScript memory would also fail outright.
// Input: argv[2] = JSON of FunctionCopyOptions with `endpoints` and `credentials` as plain objects.
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { functionCopy } from './function-copy.js';

function kilobytes(field: 'VmHWM' | 'VmRSS'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
}

const input = JSON.parse(process.argv[2] ?? '{}') as {
  source: string;
  architecture: 'x86_64' | 'arm64' | 'all';
  target: string;
  endpoints: Record<string, string>;
  credentials: Record<string, { username: string; password: string }>;
};
const before = kilobytes('VmHWM');
const result = await functionCopy({
  ...input,
  endpoints: new Map(Object.entries(input.endpoints)),
  credentials: new Map(Object.entries(input.credentials)),
});
process.stdout.write(
  `${JSON.stringify({
    digest: result.digest,
    copiedBytes: result.progress.copiedBytes,
    vmHwmBeforeKb: before,
    vmHwmKb: kilobytes('VmHWM'),
    heapLimitBytes: getHeapStatistics().heap_size_limit,
  })}\n`,
);
