/** Where the CLI writes; injected so that tests run commands in-process and read what they printed. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  /** The wall clock, used only for the informational `closedAt` of a close (never in a calculation). */
  readonly now: () => Date;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, now: () => new Date() };
}

/** Collects output in memory (tests, and the demo's e2e run). */
export function memoryIo(): CliIo & { out(): string; err(): string } {
  let out = "";
  let err = "";
  return {
    stdout: {
      write: (t: string) => {
        out += t;
      },
    },
    stderr: {
      write: (t: string) => {
        err += t;
      },
      isTTY: false,
    },
    now: () => new Date("2026-10-15T09:00:00Z"),
    out: () => out,
    err: () => err,
  };
}
