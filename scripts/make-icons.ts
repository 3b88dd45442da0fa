/** Writes the add-in icons (a bar chart on PAS blue) as PNG files; run once, the PNGs are committed. */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 4 + 1) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const bars = [0.45, 0.75, 0.6, 0.9];
function icon(size: number, outline = false) {
  return png(size, (x, y) => {
    const u = x / size;
    const v = 1 - y / size;
    const i = Math.floor((u - 0.12) / 0.2);
    const inBar = i >= 0 && i < 4 && (u - 0.12) % 0.2 < 0.14 && v > 0.1 && v < bars[i] && v < 0.95;
    if (outline) return inBar ? [0, 0, 0, 255] : [0, 0, 0, 0];
    return inBar ? [255, 255, 255, 255] : [0, 84, 166, 255];
  });
}
for (const s of [16, 32, 64, 80, 128]) writeFileSync(`addin/public/assets/icon-${s}.png`, icon(s));
writeFileSync('addin/public/assets/outline-32.png', icon(32, true));
console.log('icone scritte in addin/public/assets');
