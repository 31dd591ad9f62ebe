import { Presets, SingleBar } from "cli-progress";
import type { CliIo } from "./io.js";

/** A progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or tests). */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number): void;
  stop(): void;
}

export function progress(io: CliIo): Progress {
  if (io.stderr.isTTY !== true) return { start() {}, update() {}, stop() {} };
  const bar = new SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: "{label} |{bar}| {percentage}% | {value}/{total}",
      hideCursor: false,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  return {
    start: (total, label) => bar.start(Math.max(total, 1), 0, { label }),
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}
