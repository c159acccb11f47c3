/** A world file that cannot be used: another version's, not a world file, or in use. */
export class WorldFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${reason}`, options);
    this.name = "WorldFileError";
  }
}
