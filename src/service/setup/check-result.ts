/** One line of `mmbot doctor`: shared by its checks (doctor-checks.ts) and those of the integrations (setup/check.ts). */
export interface CheckResult {
  /** What was checked, stable for scripts: `token`, `channel:ops`, `slash-command:/todo@acme`… */
  name: string;
  ok: boolean;
  label: string;
  /** For a failed check: what to do about it. */
  fix?: string;
  /** Not ok, but maybe fine (the doctor cannot tell from here): shown, not counted as a failure. */
  warn?: boolean;
}
