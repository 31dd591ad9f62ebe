import { z } from "zod";
import { BusinessDate, Currency, Id, NonNegativeDecimalString } from "../schemas/common.js";

/**
 * Upcasters lift an event body written under an older schemaVersion to the next version. They are pure,
 * and chained: v1 → v2 → ... → current. The stored event is never rewritten; upcasting happens on read.
 *
 * DealClosed v1 (before split credits existed) named one rep; v2 carries `splits`, so a v1 deal becomes a
 * single 100% split to that rep.
 */
export const DealClosedV1 = z.strictObject({
  dealId: Id,
  amount: NonNegativeDecimalString,
  currency: Currency,
  closeDate: BusinessDate,
  product: z.string().min(1).max(100),
  dealType: z.string().min(1).max(100).optional(),
  repId: Id,
});

export interface Upcaster {
  readonly fromVersion: number;
  readonly schema: z.ZodType<Record<string, unknown>>;
  readonly up: (data: Record<string, unknown>) => Record<string, unknown>;
}

export const UPCASTERS: Readonly<Record<string, readonly Upcaster[]>> = {
  DealClosed: [
    {
      fromVersion: 1,
      schema: DealClosedV1 as unknown as z.ZodType<Record<string, unknown>>,
      up: (data) => {
        const { repId, dealType, ...rest } = data as z.output<typeof DealClosedV1>;
        return { ...rest, dealType: dealType ?? "new", splits: [{ repId, share: "1" }] };
      },
    },
  ],
};
