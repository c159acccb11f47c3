import { MmbotError } from "../../errors.js";

/** The command line is incomplete or contradicts itself: shown with the command's usage, exit 2. */
export class UsageError extends MmbotError {
  constructor(message: string) {
    super("USAGE", message);
  }
}
