import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleEntry, startChild } from "./support.js";

/**
 * A SIGTERM while a pipeline process is still starting (opening the store, the projector rebuilding its
 * engine from the log) stops it with exit code 0, instead of killing it by the default action with no
 * exit code and no word. Start-up is held still by a "database" that accepts the connection and never
 * answers: the connection shows that the process is past installing its handler.
 */
describe("a signal during start-up", () => {
  let server: Server;
  let port = 0;
  const sockets: Socket[] = [];
  let connected: () => void = () => undefined;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    port = address.port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const which of ["recorder", "projector"] as const) {
    it(`stops the ${which} with exit code 0`, async () => {
      const bundle = await bundleEntry(`services/icm/src/${which}/main.ts`, `startup-${which}`);
      const reached = new Promise<void>((resolve) => {
        connected = resolve;
      });
      const child = startChild(bundle, {
        ICM_NATS_URL: "nats://127.0.0.1:1",
        ICM_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/never`,
        ICM_DATABASE_SCHEMA: "startup_signal",
        ICM_LOG_LEVEL: "info",
      });
      await reached;
      child.process.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(child.output()).toContain("stopping during start-up");
    }, 60_000);
  }
});
