/** A world file that cannot be used: another version's, not a world file, or in use. */
export class WorldFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: ErrorOptions & { inUse?: boolean },
  ) {
    super(`${path}: ${reason}`, options);
    this.name = "WorldFileError";
    this.inUse = options?.inUse ?? false;
  }

  /** Another running sandbox has the file open (starting fresh would not help). */
  readonly inUse: boolean;
}
