import { randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const ID_LENGTH = 26;
let pool = Buffer.alloc(0);
let offset = 0;

/** A new id or token: 26 characters of [a-z0-9], like the server's `model.NewId()`. */
export function newId(): string {
  if (offset + ID_LENGTH > pool.length) {
    pool = randomBytes(ID_LENGTH * 512); // one syscall for many ids: ids are made on every request
    offset = 0;
  }
  let id = "";
  for (let i = 0; i < ID_LENGTH; i++) id += ALPHABET[pool[offset++]! % 36];
  return id;
}

/** Whether `value` has the shape of an id (`model.IsValidId`). */
export function isValidId(value: unknown): value is string {
  return typeof value === "string" && /^[a-z0-9]{26}$/.test(value);
}
