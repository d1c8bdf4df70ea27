// Building blocks of generated test layers: seeded random bytes and a minimal ustar writer.
import { createCipheriv, createHash } from 'node:crypto';
import { constants, gzipSync } from 'node:zlib';

const KEYSTREAM_CHUNK = 1024 * 1024;

/**
 * Fills `target` with pseudo-random bytes derived from `seed` (AES-256-CTR keystream): the same seed gives the same
 * bytes, and it runs at memory speed, so ~100 MB layers cost a fraction of a second.
 */
export function fillSeededRandom(seed: string, target: Buffer): void {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(Math.min(KEYSTREAM_CHUNK, target.length));
  for (let offset = 0; offset < target.length; offset += zeros.length) {
    const length = Math.min(zeros.length, target.length - offset);
    cipher.update(zeros.subarray(0, length)).copy(target, offset);
  }
  cipher.final();
}

/** `size` seeded pseudo-random bytes (see {@link fillSeededRandom}). */
export function seededRandomBytes(seed: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  fillSeededRandom(seed, out);
  return out;
}

/** One entry of a generated tar archive. */
export interface TarEntry {
  /** Path inside the archive; directories end with `/`. */
  path: string;
  /** File content; omitted for directories. */
  content?: Uint8Array;
  /** Alternative to `content` for big files: `size` bytes written in place by `fill` (no intermediate copy). */
  generated?: { size: number; fill: (target: Buffer) => void };
  mode?: number;
}

const BLOCK = 512;
/** Fixed mtime so that a seed always yields the same layer digests. */
const MTIME = Math.floor(Date.UTC(2024, 0, 1) / 1000);

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  // length-1 zero-padded octal digits and a NUL terminator.
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function tarHeader(entry: TarEntry): Buffer {
  const isDir = entry.path.endsWith('/');
  const header = Buffer.alloc(BLOCK);
  let name = entry.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, entry.mode ?? (isDir ? 0o755 : 0o644));
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, isDir ? 0 : entrySize(entry));
  writeOctal(header, 136, 12, MTIME);
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  header[156] = (isDir ? '5' : '0').charCodeAt(0);
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  writeString(header, 265, 32, 'root');
  writeString(header, 297, 32, 'root');
  writeString(header, 345, 155, prefix);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

function entrySize(entry: TarEntry): number {
  return entry.content?.length ?? entry.generated?.size ?? 0;
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A complete ustar archive (with the two zero end blocks) holding `entries`, built in one allocation. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const total = entries.reduce((sum, e) => sum + BLOCK + (e.path.endsWith('/') ? 0 : padded(entrySize(e))), 2 * BLOCK);
  const archive = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const entry of entries) {
    tarHeader(entry).copy(archive, offset);
    offset += BLOCK;
    if (entry.path.endsWith('/')) continue;
    const size = entrySize(entry);
    const body = archive.subarray(offset, offset + size);
    if (entry.content) body.set(entry.content);
    else entry.generated?.fill(body);
    archive.fill(0, offset + size, offset + padded(size));
    offset += padded(size);
  }
  archive.fill(0, offset);
  return archive;
}

/** Above this size random data is gzip'd without compression (stored blocks): it would not shrink anyway. */
const STORE_THRESHOLD = 1024 * 1024;

/** Valid gzip of `data`; large inputs use level 0 so multi-hundred-MB images generate quickly. */
export function gzipLayer(data: Buffer): Buffer {
  // 1 MiB output chunks: the default 16 KiB chunks make zlib several times slower on big inputs.
  return gzipSync(data, { level: data.length > STORE_THRESHOLD ? constants.Z_NO_COMPRESSION : 6, chunkSize: 1024 * 1024 });
}

/** `sha256:<hex>` of `data`. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
