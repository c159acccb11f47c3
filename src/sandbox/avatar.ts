/**
 * Profile pictures: the server draws a default one (the initial on a colour); the sandbox
 * answers a plain square PNG in a colour picked from the user id, enough for clients that
 * show avatars. The page shows an SVG instead: the initial on that colour, or a robot's face
 * for a bot, drawn with shapes so that it needs no emoji font.
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
  const index = paletteIndex(userId);
  let png = cache.get(index);
  if (!png) cache.set(index, (png = squarePng(PALETTE[index]!)));
  return png;
}

/** The page's picture of a user: a round SVG with the initial, or a robot's face for a bot. */
export function avatarSvg(user: { id: string; username: string; is_bot: boolean }): string {
  const [r, g, b] = PALETTE[paletteIndex(user.id)]!;
  const fill = `rgb(${r},${g},${b})`;
  const face = user.is_bot
    ? // antenna, head, eyes and mouth: shapes only
      '<line x1="32" y1="12" x2="32" y2="20" stroke="#fff" stroke-width="3"/>' +
      '<circle cx="32" cy="11" r="3.5" fill="#fff"/>' +
      '<rect x="14" y="20" width="36" height="28" rx="7" fill="#fff"/>' +
      `<circle cx="25" cy="32" r="4" fill="${fill}"/><circle cx="39" cy="32" r="4" fill="${fill}"/>` +
      `<rect x="24" y="40" width="16" height="3" rx="1.5" fill="${fill}"/>`
    : `<text x="32" y="43" text-anchor="middle" font-family="sans-serif" font-size="30" font-weight="700" fill="#fff">${escapeXml(initialOf(user.username))}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="${fill}"/>${face}</svg>`;
}

function initialOf(username: string): string {
  return (username.match(/[a-z0-9]/i)?.[0] ?? "?").toUpperCase();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function paletteIndex(userId: string): number {
  let hash = 0;
  for (const c of userId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return hash % PALETTE.length;
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
