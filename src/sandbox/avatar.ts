/**
 * Profile pictures: the server draws a default one (the initial on a colour); the sandbox
 * answers a plain square PNG in a colour picked from the user id, enough for clients that
 * show avatars.
 */
import { crc32, deflateSync } from "node:zlib";

const SIZE = 64;
const PALETTE: Array<[number, number, number]> = [
  [197, 8, 126],
  [227, 207, 18],
  [28, 181, 105],
  [35, 188, 224],
  [116, 49, 196],
  [250, 134, 6],
];
const cache = new Map<number, Buffer>();

/** The PNG bytes of `userId`'s default picture. */
export function defaultAvatar(userId: string): Buffer {
  let hash = 0;
  for (const c of userId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const index = hash % PALETTE.length;
  let png = cache.get(index);
  if (!png) cache.set(index, (png = squarePng(PALETTE[index]!)));
  return png;
}

function squarePng([r, g, b]: [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + SIZE * 3); // filter byte 0, then RGB pixels
  for (let x = 0; x < SIZE; x++) row.set([r, g, b], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: SIZE }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
