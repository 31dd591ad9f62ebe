import { headers, type JetStreamClient } from "nats";
import type { Input } from "./support.js";

const encoder = new TextEncoder();

/** Publishes raw inputs in order (issued in order on one connection = stored in order), ≤ window in flight. */
export async function publishInputs(
  js: JetStreamClient,
  inputs: readonly Input[],
  window = 256,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next] as Input;
      next += 1;
      const h = headers();
      h.set("Nats-Msg-Id", input.msgId);
      await js.publish(input.subject, encoder.encode(input.body), { headers: h, timeout: 30_000 });
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}
