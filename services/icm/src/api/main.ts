import { ApiConfigError, loadApiConfig } from "./config.js";
import { startApiServer } from "./server.js";

/** Entry point of the API process: configuration from the environment (docs/api.md), then serve. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadApiConfig>;
  try {
    config = loadApiConfig(process.env);
  } catch (error) {
    if (error instanceof ApiConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  await startApiServer(config);
}

main().catch((error: unknown) => {
  process.stderr.write(`icm-api failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
