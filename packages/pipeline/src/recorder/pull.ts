import { createInbox, type JsMsg, type Msg, type NatsConnection, nanos } from "nats";
// Not re-exported by the package root; the same function nats.js's own consumers use to wrap a delivery.
import { toJsMsg } from "nats/lib/jetstream/jsmsg.js";

/** How one pull request ended. */
export type PullEnd =
  /** The server delivered every message asked for. */
  | { readonly kind: "complete"; readonly delivered: number }
  /** The request expired at the server (408) before it was filled: the stream had nothing more for now. */
  | { readonly kind: "expired"; readonly delivered: number }
  /** The server refused or ended it (409, 503 no responders, ...), or it was never answered. */
  | { readonly kind: "failed"; readonly delivered: number; readonly error: Error };

export interface MessagePuller {
  /**
   * Asks the durable pull consumer for up to `batch` messages, waiting at most `expiresMs` at the server;
   * each delivered message is handed to the puller's `onMessage` as it arrives. Resolves when the request
   * is over. One request at a time: the caller awaits each before making the next.
   */
  pull(batch: number, expiresMs: number): Promise<PullEnd>;
  /** Stops listening. A delivery after this is lost to this process (the server redelivers it after ack wait). */
  close(): void;
}

/**
 * How long past its expiry a pull request is waited for when the server's answer does not come (a
 * connection lost mid-request): then it counts as failed. Messages it still brings later are not lost (see
 * below), they land with the next request's.
 */
const PULL_ANSWER_GRACE_MS = 2_000;

/**
 * Pull requests to a durable consumer, all answered on ONE inbox subscription that lives as long as the
 * recorder. nats.js's `consumer.fetch()` subscribes a fresh inbox per call and drops it when its own timer
 * (1.05 × expires) or its idle-heartbeat check (which re-issues the request) ends the call; the server
 * still holds that request until its own expiry, and whatever it delivers to it then goes nowhere. Such a
 * message counts as delivered and comes back only after the ack wait (30 s), behind newer ones that the
 * recorder has appended meanwhile: the log then holds a stream's events out of order (seen in
 * test/pipeline/pipeline.e2e.spec.ts: 6 to 234 messages per run, no failure anywhere). Here every delivery
 * reaches `onMessage`, whichever request it answers. No heartbeats are asked for: the request expiry and
 * PULL_ANSWER_GRACE_MS bound the wait.
 */
export function messagePuller(
  nc: NatsConnection,
  streamName: string,
  consumerName: string,
  onMessage: (message: JsMsg) => void,
): MessagePuller {
  const inbox = createInbox();
  const requestSubject = `$JS.API.CONSUMER.MSG.NEXT.${streamName}.${consumerName}`;
  const encoder = new TextEncoder();
  let current:
    | { readonly batch: number; delivered: number; readonly finish: (end: PullEnd) => void }
    | undefined;

  function end(make: (delivered: number) => PullEnd): void {
    const request = current;
    if (request === undefined) return;
    current = undefined;
    request.finish(make(request.delivered));
  }

  const subscription = nc.subscribe(inbox, {
    callback: (error, msg: Msg) => {
      if (error) {
        end((delivered) => ({ kind: "failed", delivered, error }));
        return;
      }
      // A status from the server about a request (its subject is the inbox itself), not a stream message.
      if (msg.subject === inbox) {
        const code = msg.headers?.code ?? 0;
        // 100: an idle heartbeat or flow control (not asked for, harmless).
        if (code === 100) return;
        // 404 no messages / 408 request timeout: the request is over, with what it delivered.
        if (code === 404 || code === 408) {
          end((delivered) => ({ kind: "expired", delivered }));
          return;
        }
        const description = msg.headers?.description ?? "";
        end((delivered) => ({
          kind: "failed",
          delivered,
          error: new Error(`pull request refused: ${code} ${description}`.trim()),
        }));
        return;
      }
      onMessage(toJsMsg(msg));
      // A late delivery for a request already given up on (no answer in time) is handed over all the
      // same; it only counts towards the request now open.
      if (current !== undefined) {
        current.delivered += 1;
        if (current.delivered >= current.batch) end((delivered) => ({ kind: "complete", delivered }));
      }
    },
  });

  return {
    pull(batch, expiresMs) {
      if (current !== undefined) throw new Error("one pull request at a time");
      return new Promise<PullEnd>((resolve) => {
        const timer = setTimeout(
          () =>
            end((delivered) => ({
              kind: "failed",
              delivered,
              error: new Error(`pull request not answered within ${expiresMs + PULL_ANSWER_GRACE_MS} ms`),
            })),
          expiresMs + PULL_ANSWER_GRACE_MS,
        );
        current = {
          batch,
          delivered: 0,
          finish: (outcome) => {
            clearTimeout(timer);
            resolve(outcome);
          },
        };
        try {
          nc.publish(requestSubject, encoder.encode(JSON.stringify({ batch, expires: nanos(expiresMs) })), {
            reply: inbox,
          });
        } catch (error) {
          end((delivered) => ({ kind: "failed", delivered, error: error as Error }));
        }
      });
    },
    close() {
      end((delivered) => ({ kind: "failed", delivered, error: new Error("puller closed") }));
      subscription.unsubscribe();
    },
  };
}
