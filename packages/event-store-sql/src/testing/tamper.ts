import { canonicalJson, type JsonObject } from "@icm/events";
import type { SqlExecutor } from "../executor/types.js";
import { quoteIdentifier } from "../schema/identifiers.js";

/** What a contract harness may do behind the store's back: plain SQL on the stored rows (tests only). */
export interface SqlTamper {
  editData(globalPosition: number, data: JsonObject): Promise<void>;
  deleteEvent(globalPosition: number): Promise<void>;
  swapPositions(a: number, b: number): Promise<void>;
}

function assertOneRow(rows: readonly unknown[], what: string, globalPosition: number): void {
  if (rows.length !== 1) throw new RangeError(`${what}: no event at global position ${globalPosition}`);
}

export function sqlTamper(executor: SqlExecutor, schema: string): SqlTamper {
  const events = `${quoteIdentifier(schema)}.${quoteIdentifier("events")}`;
  return {
    async editData(globalPosition, data) {
      const rows = await executor.query(
        `UPDATE ${events} SET data = $2 WHERE global_position = $1::bigint RETURNING global_position`,
        [String(globalPosition), canonicalJson(data)],
      );
      assertOneRow(rows, "editData", globalPosition);
    },
    async deleteEvent(globalPosition) {
      const rows = await executor.query(
        `DELETE FROM ${events} WHERE global_position = $1::bigint RETURNING global_position`,
        [String(globalPosition)],
      );
      assertOneRow(rows, "deleteEvent", globalPosition);
    },
    async swapPositions(a, b) {
      await executor.transaction(async (tx) => {
        // Through a free negative position, because global_position is the primary key.
        const move = (from: number, to: number) =>
          tx.query(
            `UPDATE ${events} SET global_position = $2::bigint WHERE global_position = $1::bigint RETURNING global_position`,
            [String(from), String(to)],
          );
        assertOneRow(await move(a, -1), "swapPositions", a);
        assertOneRow(await move(b, a), "swapPositions", b);
        assertOneRow(await move(-1, b), "swapPositions", a);
      });
    },
  };
}
