import { ConfigError, loadConfig, type PipelineConfig } from "@icm/pipeline";
import { startIngestServer } from "./server.js";

/** Entry point of the ingest process: configuration from the environment (see docs), then serve. */
async function main(): Promise<void> {
  let config: PipelineConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  await startIngestServer(config);
}

main().catch((error: unknown) => {
  process.stderr.write(`icm-ingest failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
