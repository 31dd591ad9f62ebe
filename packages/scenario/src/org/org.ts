import { Decimal } from "@icm/events";
import { PLAN_IDS, type PlanKey, type ScenarioPlanVersion } from "../plans/plans.js";
import type { Prng } from "../random/prng.js";
import { addDays, dayNumber, nextWeekday, type Quarter, weekday } from "../time/dates.js";
import { emailLocalPart, FIRST_NAMES, LAST_NAMES } from "./names.js";

/**
 * The sales organisation: a VP, directors, managers (about eight reps each) and individual contributors,
 * effective-dated: some reps are hired mid-quarter, a few change manager mid-year, one leaves.
 */
export type Role = "vp" | "director" | "manager" | "rep";

export interface PlanSpell {
  readonly plan: PlanKey;
  readonly planId: string;
  readonly version: number;
  readonly effectiveFrom: string;
  readonly effectiveTo: string | null;
}

export interface Person {
  readonly repId: string;
  readonly name: string;
  readonly email: string;
  readonly role: Role;
  /** Manager at hire (later changes are in `managerChanges`). */
  readonly managerId: string | null;
  /** The currency most of this person's deals are in (their team's region). */
  readonly regionCurrency: string;
  readonly hireDate: string;
  /** True for the reps hired during the scenario (on the ramp plan first). */
  readonly hiredDuringScenario: boolean;
  readonly plans: readonly PlanSpell[];
  /** Quota (USD, whole dollars) by quarter id, for the quarters the person is employed in. */
  readonly quotas: ReadonlyMap<string, Decimal>;
}

export interface ManagerChange {
  readonly repId: string;
  readonly fromManagerId: string;
  readonly managerId: string;
  readonly effectiveDate: string;
}

export interface Termination {
  readonly repId: string;
  readonly terminationDate: string;
}

export interface Org {
  /** Everyone, leaders first in reporting order (a manager is listed before the people reporting to them). */
  readonly people: readonly Person[];
  readonly managerChanges: readonly ManagerChange[];
  readonly terminations: readonly Termination[];
}

export interface OrgOptions {
  readonly reps: number;
  readonly newHires: number;
  readonly quarters: readonly Quarter[];
  readonly currencies: readonly string[];
  readonly plans: readonly ScenarioPlanVersion[];
}

/** Whole-dollar quota choices per plan (a CSM quota is in margin, hence lower). */
const QUOTA_CHOICES: Record<Exclude<PlanKey, "overlay">, readonly number[]> = {
  core: [250_000, 275_000, 300_000, 325_000, 350_000],
  enterprise: [600_000, 700_000, 800_000],
  newHire: [150_000, 175_000],
  collections: [120_000, 150_000, 180_000],
};
/** Quarter-to-quarter variation, in percent. */
const SEASONALITY_PERCENT = [95, 100, 100, 105, 110] as const;
/** Region mix of sales teams, by deal currency. */
const REGION_WEIGHTS: Readonly<Record<string, number>> = { USD: 4, EUR: 2, GBP: 1, JPY: 1 };
/** Days from hire to the end of the ramp plan. */
export const RAMP_DAYS = 120;

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function personName(prng: Prng): { name: string; email: string } {
  const first = prng.pick(FIRST_NAMES);
  const last = prng.pick(LAST_NAMES);
  return { name: `${first} ${last}`, email: `${emailLocalPart(first, last)}@example.com` };
}

/** The first Monday on or after a date: new hires start on Mondays. */
function mondayOnOrAfter(date: string): string {
  return addDays(date, (7 - weekday(date)) % 7);
}

function versionOn(plans: readonly ScenarioPlanVersion[], planId: string, date: string): ScenarioPlanVersion {
  const versions = plans.filter((p) => p.planId === planId);
  const effective = versions.find(
    (p) => p.effectiveFrom <= date && (p.effectiveTo === null || date <= p.effectiveTo),
  );
  const chosen = effective ?? versions[versions.length - 1];
  if (chosen === undefined) throw new RangeError(`no version of plan ${planId}`);
  return chosen;
}

/** The plan spells of `plan` from `from` on: one per version in force (ae-core changes version mid-year). */
function spellsFrom(
  plans: readonly ScenarioPlanVersion[],
  plan: PlanKey,
  from: string,
  to: string | null,
): PlanSpell[] {
  const planId = PLAN_IDS[plan];
  const spells: PlanSpell[] = [];
  for (const version of plans.filter((p) => p.planId === planId)) {
    const start = version.effectiveFrom > from ? version.effectiveFrom : from;
    const endCandidates = [version.effectiveTo, to].filter((d): d is string => d !== null).sort();
    const end = endCandidates[0] ?? null;
    if (end !== null && end < start) continue;
    spells.push({ plan, planId, version: version.version, effectiveFrom: start, effectiveTo: end });
  }
  if (spells.length === 0) {
    const version = versionOn(plans, planId, from);
    spells.push({ plan, planId, version: version.version, effectiveFrom: from, effectiveTo: to });
  }
  return spells;
}

/**
 * Quotas for the quarters from `from` on: a base amount per plan spell (a new hire's ramp quota until the
 * ramp ends, then an AE quota) times a seasonal factor.
 */
function quotasFor(
  prng: Prng,
  quarters: readonly Quarter[],
  from: string,
  segments: readonly { plan: Exclude<PlanKey, "overlay">; from: string }[],
): Map<string, Decimal> {
  const bases = segments.map((segment) => ({
    from: segment.from,
    base: prng.pick(QUOTA_CHOICES[segment.plan]),
  }));
  const quotas = new Map<string, Decimal>();
  for (const quarter of quarters) {
    if (quarter.last < from) continue;
    let base = (bases[0] as { base: number }).base;
    for (const segment of bases) if (segment.from <= quarter.first) base = segment.base;
    const percent = prng.pick(SEASONALITY_PERCENT);
    quotas.set(
      quarter.id,
      new Decimal(base).times(percent).div(100).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN),
    );
  }
  return quotas;
}

export function buildOrg(prng: Prng, options: OrgOptions): Org {
  const { reps, newHires, quarters, currencies, plans } = options;
  const first = quarters[0] as Quarter;
  const last = quarters[quarters.length - 1] as Quarter;
  const managerCount = Math.max(2, Math.ceil(reps / 8));
  const directorCount = Math.max(1, Math.ceil(managerCount / 4));
  const repWidth = Math.max(4, String(reps).length);
  const regionChoices = currencies.map((c) => [c, REGION_WEIGHTS[c] ?? 1] as const);

  const people: Person[] = [];
  const leader = (repId: string, role: Role, managerId: string | null, regionCurrency: string): Person => ({
    repId,
    ...personName(prng),
    role,
    managerId,
    regionCurrency,
    hireDate: addDays(first.first, -prng.between(400, 3000)),
    hiredDuringScenario: false,
    plans: spellsFrom(plans, "overlay", first.first, null),
    quotas: new Map(),
  });
  const vp = leader("vp-01", "vp", null, currencies[0] as string);
  people.push(vp);
  const directors: Person[] = [];
  for (let d = 0; d < directorCount; d += 1) {
    directors.push(leader(`dir-${pad(d + 1, 2)}`, "director", vp.repId, currencies[0] as string));
  }
  people.push(...directors);
  const managers: Person[] = [];
  for (let m = 0; m < managerCount; m += 1) {
    // The first teams cover every currency once (in the order given); the rest follow the regional mix.
    const region = m < currencies.length ? (currencies[m] as string) : prng.weighted(regionChoices);
    managers.push(
      leader(`mgr-${pad(m + 1, 3)}`, "manager", (directors[m % directorCount] as Person).repId, region),
    );
  }
  people.push(...managers);

  const initialCount = reps - newHires;
  const individuals: Person[] = [];
  for (let k = 0; k < reps; k += 1) {
    const manager = managers[k % managerCount] as Person;
    const repId = `rep-${pad(k + 1, repWidth)}`;
    const isNewHire = k >= initialCount;
    if (!isNewHire) {
      // The first three reps cover every individual plan; the rest follow a typical mix.
      const plan: Exclude<PlanKey, "overlay" | "newHire"> =
        k === 0
          ? "core"
          : k === 1
            ? "enterprise"
            : k === 2
              ? "collections"
              : prng.weighted([
                  ["core", 65],
                  ["enterprise", 20],
                  ["collections", 15],
                ]);
      individuals.push({
        repId,
        ...personName(prng),
        role: "rep",
        managerId: manager.repId,
        regionCurrency: manager.regionCurrency,
        hireDate: addDays(first.first, -prng.between(30, 1500)),
        hiredDuringScenario: false,
        plans: spellsFrom(plans, plan, first.first, null),
        quotas: quotasFor(prng, quarters, first.first, [{ plan, from: first.first }]),
      });
      continue;
    }
    // New hires are spread over the quarters and start on a Monday in the middle of their quarter.
    const hireIndex = k - initialCount;
    const quarter = quarters[Math.floor((hireIndex * quarters.length) / newHires)] as Quarter;
    const hireDate = mondayOnOrAfter(addDays(quarter.first, prng.between(35, 50)));
    const rampEnd = addDays(hireDate, RAMP_DAYS);
    const quotas = quotasFor(prng, quarters, hireDate, [
      { plan: "newHire", from: hireDate },
      { plan: "core", from: rampEnd },
    ]);
    individuals.push({
      repId,
      ...personName(prng),
      role: "rep",
      managerId: manager.repId,
      regionCurrency: manager.regionCurrency,
      hireDate,
      hiredDuringScenario: true,
      plans: [
        ...spellsFrom(plans, "newHire", hireDate, addDays(rampEnd, -1)),
        ...spellsFrom(plans, "core", rampEnd, null),
      ],
      quotas,
    });
  }
  people.push(...individuals);

  // Leaders' quotas are their organisation's: the sum of the quotas of the reps below them at hire.
  const leaderQuotas = new Map<string, Map<string, Decimal>>();
  const managerOf = new Map(people.map((p) => [p.repId, p.managerId]));
  for (const rep of individuals) {
    for (let up = managerOf.get(rep.repId) ?? null; up !== null; up = managerOf.get(up) ?? null) {
      const totals = leaderQuotas.get(up) ?? new Map<string, Decimal>();
      for (const [period, amount] of rep.quotas)
        totals.set(period, (totals.get(period) ?? new Decimal(0)).plus(amount));
      leaderQuotas.set(up, totals);
    }
  }
  const withLeaderQuotas = people.map((p) =>
    p.role === "rep" ? p : { ...p, quotas: leaderQuotas.get(p.repId) ?? new Map<string, Decimal>() },
  );

  // A few reps change manager in the middle of a quarter (after the first, when there is more than one).
  const initialReps = individuals.filter((p) => !p.hiredDuringScenario);
  const changeCount = Math.min(initialReps.length, reps < 16 ? 1 : Math.min(8, Math.floor(reps / 16)));
  const managerChanges: ManagerChange[] = [];
  const moved = new Set<string>();
  for (let c = 0; c < changeCount; c += 1) {
    const quarter = quarters[quarters.length === 1 ? 0 : 1 + (c % (quarters.length - 1))] as Quarter;
    let rep = prng.pick(initialReps);
    for (let tries = 0; moved.has(rep.repId) && tries < 20; tries += 1) rep = prng.pick(initialReps);
    if (moved.has(rep.repId)) continue;
    moved.add(rep.repId);
    const others = managers.filter((m) => m.repId !== rep.managerId);
    const target = prng.pick(others);
    managerChanges.push({
      repId: rep.repId,
      fromManagerId: rep.managerId as string,
      managerId: target.repId,
      effectiveDate: mondayOnOrAfter(addDays(quarter.first, prng.between(38, 48))),
    });
  }
  managerChanges.sort((a, b) =>
    a.effectiveDate === b.effectiveDate
      ? a.repId < b.repId
        ? -1
        : 1
      : a.effectiveDate < b.effectiveDate
        ? -1
        : 1,
  );

  // One rep (not one of the three plan exemplars) leaves in the middle of the last quarter.
  const terminations: Termination[] = [];
  const leavers = initialReps.slice(3).filter((p) => !moved.has(p.repId));
  if (reps >= 10 && leavers.length > 0) {
    const leaver = prng.pick(leavers);
    terminations.push({
      repId: leaver.repId,
      terminationDate: nextWeekday(addDays(last.first, prng.between(40, 60))),
    });
  }
  return { people: withLeaderQuotas, managerChanges, terminations };
}

/** The plan spell in force for a person on a date, if any. */
export function planOn(person: Person, date: string): PlanSpell | undefined {
  return person.plans.find(
    (s) => s.effectiveFrom <= date && (s.effectiveTo === null || date <= s.effectiveTo),
  );
}

/** Days between two dates (b − a). */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}
