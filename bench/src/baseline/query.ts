/**
 * The baseline: what a team without an engine would write: ONE SQL statement over the same events table
 * that computes each rep's marginal-tier commission for one quarter, reading the plan's bands from the
 * published plan itself. It knows: plan in force at quarter end, quarterly quota, FX at the close date
 * (latest rate on or before it), credit splits, marginal bands by multiplier of target incentive or by
 * rate of quota. It deliberately ignores what the engine also does (cancellations and clawback, caps,
 * proration on plan changes, draws, SPIFFs, bonuses, timing, exceptions): it is a lower bound on cost.
 * Parameters: $1 quarter id, $2 first day, $3 last day.
 */
export function marginalCommissionSql(schema: string): string {
  const ev = `"${schema}"."events"`;
  return `
WITH plans AS (
  SELECT data::jsonb->>'planId' AS plan_id, (data::jsonb->>'version')::int AS version,
         data::jsonb->'definition' AS def
    FROM ${ev} WHERE type = 'PlanVersionPublished'
), assignment AS (
  SELECT DISTINCT ON (j->>'repId') j->>'repId' AS rep_id, j->>'planId' AS plan_id, (j->>'version')::int AS version
    FROM (SELECT data::jsonb AS j, global_position FROM ${ev} WHERE type = 'PlanAssigned') a
   WHERE j->>'effectiveFrom' <= $3::text
   ORDER BY j->>'repId', j->>'effectiveFrom' DESC, global_position DESC
), quota AS (
  SELECT DISTINCT ON (j->>'repId') j->>'repId' AS rep_id, (j->>'amount')::numeric AS amount
    FROM (SELECT data::jsonb AS j, global_position FROM ${ev} WHERE type = 'QuotaSet') q
   WHERE j->>'period' = $1::text
   ORDER BY j->>'repId', global_position DESC
), fx AS (
  SELECT j->>'base' AS base, j->>'effectiveDate' AS effective_date, (j->>'rate')::numeric AS rate
    FROM (SELECT data::jsonb AS j FROM ${ev} WHERE type = 'FxRatePublished') f
   WHERE j->>'quote' = 'USD'
), fx_range AS (
  SELECT base, effective_date::date AS from_day, rate,
         lead(effective_date::date) OVER (PARTITION BY base ORDER BY effective_date) AS next_day
    FROM fx
), fx_day AS (
  -- The rate in force on each day of the quarter: deals join it on (currency, close date) by hash.
  SELECT base, to_char(day, 'YYYY-MM-DD') AS day, rate
    FROM fx_range
    CROSS JOIN LATERAL generate_series(greatest(from_day, $2::date),
                                       least(coalesce(next_day - 1, $3::date), $3::date),
                                       interval '1 day') AS day
), deal AS (
  SELECT j FROM (SELECT data::jsonb AS j FROM ${ev} WHERE type = 'DealClosed') d
   WHERE j->>'closeDate' BETWEEN $2::text AND $3::text
), credit AS (
  SELECT s->>'repId' AS rep_id,
         sum((d.j->>'amount')::numeric * (s->>'share')::numeric *
             CASE WHEN d.j->>'currency' = 'USD' THEN 1 ELSE f.rate END) AS credited_usd
    FROM deal d
    LEFT JOIN fx_day f ON f.base = d.j->>'currency' AND f.day = d.j->>'closeDate'
    CROSS JOIN LATERAL jsonb_array_elements(d.j->'splits') s
   GROUP BY 1
), band AS (
  SELECT a.rep_id, c.credited_usd / q.amount AS attainment, q.amount AS quota,
         (comp->>'targetIncentive')::numeric AS target_incentive, b
    FROM assignment a
    JOIN plans p ON p.plan_id = a.plan_id AND p.version = a.version
    JOIN quota q ON q.rep_id = a.rep_id
    JOIN credit c ON c.rep_id = a.rep_id
    CROSS JOIN LATERAL jsonb_array_elements(p.def->'components') comp
    CROSS JOIN LATERAL jsonb_array_elements(comp->'bands') b
   WHERE p.def->>'measure' = 'amount' AND p.def->>'quotaPeriod' = 'quarter'
     AND comp->>'kind' = 'rate_table' AND comp->>'method' = 'marginal' AND q.amount > 0
)
SELECT rep_id,
       round(sum(CASE WHEN b ? 'multiplier' THEN target_incentive * (b->>'multiplier')::numeric
                      ELSE (b->>'rate')::numeric * quota END
                 * greatest(0, least(attainment, coalesce((b->>'to')::numeric, attainment))
                               - (b->>'from')::numeric)), 2)::text AS commission
  FROM band
 GROUP BY rep_id
 ORDER BY rep_id`;
}
