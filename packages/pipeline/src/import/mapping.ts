import { z } from "zod";

/**
 * A column mapping turns one row of a CRM export into one event. It is data (a JSON file), so comp ops
 * can adapt to a new export without code. Example (Salesforce opportunities → DealClosed):
 *
 *   { "type": "DealClosed",
 *     "eventId": { "template": "sfdc-opp-{Id}-closed" },
 *     "data": { "dealId": { "column": "Id" },
 *               "amount": { "column": "Amount", "transform": ["decimal"] },
 *               "splits": { "split": { "column": "Splits", "itemSeparator": ";", "fieldSeparator": ":",
 *                                      "fields": ["repId", "share"] } } },
 *     "metadata": { "source": { "value": "salesforce" } } }
 *
 * An empty cell counts as absent: the field is left out (then validation names it) unless the spec gives a
 * `default`. A mapping never guesses: a value that `map` does not list is passed through unchanged, so
 * validation reports it instead of the mapping hiding it.
 */
export type Transform = "trim" | "upper" | "lower" | "decimal" | "date" | "integer";

export type FieldSpec =
  | {
      readonly column: string;
      readonly transform?: readonly Transform[];
      readonly map?: Readonly<Record<string, string>>;
      readonly default?: string;
    }
  | { readonly value: unknown }
  | { readonly template: string }
  | {
      readonly split: {
        readonly column: string;
        readonly itemSeparator: string;
        readonly fieldSeparator?: string;
        readonly fields?: readonly string[];
      };
    }
  | { readonly object: Readonly<Record<string, FieldSpec>> }
  | { readonly array: readonly FieldSpec[] };

export interface ColumnMapping {
  readonly type: string;
  /** Defaults to the event type's current schema version. */
  readonly schemaVersion?: number;
  /** The idempotency key: a column, or a template over columns, e.g. "sfdc-opp-{Id}-closed". */
  readonly eventId: { readonly column: string } | { readonly template: string };
  readonly data: Readonly<Record<string, FieldSpec>>;
  readonly metadata?: Readonly<Record<string, FieldSpec>>;
}

const TransformSchema = z.enum(["trim", "upper", "lower", "decimal", "date", "integer"]);

const FieldSpecSchema: z.ZodType<FieldSpec> = z.lazy(() =>
  z.union([
    z.strictObject({
      column: z.string().min(1),
      transform: z.array(TransformSchema).optional(),
      map: z.record(z.string(), z.string()).optional(),
      default: z.string().optional(),
    }),
    z.strictObject({ value: z.unknown() }),
    z.strictObject({ template: z.string().min(1) }),
    z.strictObject({
      split: z.strictObject({
        column: z.string().min(1),
        itemSeparator: z.string().min(1),
        fieldSeparator: z.string().min(1).optional(),
        fields: z.array(z.string().min(1)).min(1).optional(),
      }),
    }),
    z.strictObject({ object: z.record(z.string(), FieldSpecSchema) }),
    z.strictObject({ array: z.array(FieldSpecSchema) }),
  ]),
) as z.ZodType<FieldSpec>;

const MappingSchema = z.strictObject({
  type: z.string().min(1),
  schemaVersion: z.number().int().min(1).optional(),
  eventId: z.union([
    z.strictObject({ column: z.string().min(1) }),
    z.strictObject({ template: z.string().min(1) }),
  ]),
  data: z.record(z.string(), FieldSpecSchema),
  metadata: z.record(z.string(), FieldSpecSchema).optional(),
});

export class MappingError extends Error {
  override readonly name = "MappingError";
}

/** Validates a mapping (e.g. the parsed JSON of a mapping file). */
export function parseMapping(raw: unknown): ColumnMapping {
  const parsed = MappingSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "$"}: ${i.message}`);
    throw new MappingError(`invalid column mapping: ${problems.join("; ")}`);
  }
  return parsed.data as ColumnMapping;
}

/** One input row: column name → cell text. */
export type Row = Readonly<Record<string, string | undefined>>;

function cell(row: Row, column: string): string | undefined {
  const value = row[column]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function applyTransform(value: string, transform: Transform): unknown {
  switch (transform) {
    case "trim":
      return value.trim();
    case "upper":
      return value.toUpperCase();
    case "lower":
      return value.toLowerCase();
    case "decimal":
      // Exports format amounts for people: "1,250.00", "$ 1250". Only grouping commas, spaces and a
      // leading currency symbol are removed; anything else is left for validation to reject.
      return value.replace(/^[$€£¥]\s*/, "").replace(/[,\s]/g, "");
    case "date": {
      const us = US_DATE.exec(value);
      if (!us) return value;
      return `${us[3]}-${(us[1] as string).padStart(2, "0")}-${(us[2] as string).padStart(2, "0")}`;
    }
    case "integer":
      return /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
}

/** Fills `{Column}` placeholders; an empty or missing column leaves the template unresolved. */
function fillTemplate(template: string, row: Row): string | undefined {
  let missing = false;
  const text = template.replace(/\{([^}]+)\}/g, (_match, column: string) => {
    const value = cell(row, column);
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? undefined : text;
}

function build(spec: FieldSpec, row: Row): unknown {
  if ("value" in spec) return spec.value;
  if ("template" in spec) return fillTemplate(spec.template, row);
  if ("object" in spec) return buildObject(spec.object, row);
  if ("array" in spec) return spec.array.map((item) => build(item, row));
  if ("split" in spec) {
    const { column, itemSeparator, fieldSeparator, fields } = spec.split;
    const text = cell(row, column);
    if (text === undefined) return undefined;
    const items = text
      .split(itemSeparator)
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (!fieldSeparator || !fields) return items;
    return items.map((item) => {
      const parts = item.split(fieldSeparator).map((s) => s.trim());
      const out: Record<string, string> = {};
      fields.forEach((field, index) => {
        const part = parts[index];
        if (part !== undefined && part !== "") out[field] = part;
      });
      return out;
    });
  }
  const raw = cell(row, spec.column);
  if (raw === undefined) return spec.default;
  let value: unknown = spec.map && Object.hasOwn(spec.map, raw) ? spec.map[raw] : raw;
  for (const transform of spec.transform ?? []) {
    if (typeof value === "string") value = applyTransform(value, transform);
  }
  return value;
}

function buildObject(specs: Readonly<Record<string, FieldSpec>>, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(specs)) {
    const value = build(spec, row);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Builds the raw event for one row. The result is not validated here: it goes through the same validator
 * as every other input, so a mapped row is refused with the same field names and rules.
 */
export function applyMapping(
  mapping: ColumnMapping,
  row: Row,
  currentVersionOf: (type: string) => number | undefined,
): Record<string, unknown> {
  const eventId =
    "column" in mapping.eventId
      ? cell(row, mapping.eventId.column)
      : fillTemplate(mapping.eventId.template, row);
  const event: Record<string, unknown> = {
    type: mapping.type,
    schemaVersion: mapping.schemaVersion ?? currentVersionOf(mapping.type) ?? 1,
    data: buildObject(mapping.data, row),
    metadata: mapping.metadata ? buildObject(mapping.metadata, row) : {},
  };
  if (eventId !== undefined) event.eventId = eventId;
  return event;
}

/** A JSON object row (JSONL with a mapping): scalar values become cell text, others are left out. */
export function rowFromObject(value: unknown): Row | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const row: Record<string, string> = {};
  for (const [key, cellValue] of Object.entries(value)) {
    if (typeof cellValue === "string") row[key] = cellValue;
    else if (typeof cellValue === "number" || typeof cellValue === "boolean") row[key] = String(cellValue);
  }
  return row;
}
