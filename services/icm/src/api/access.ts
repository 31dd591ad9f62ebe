import type { IcmWorkspace } from "@icm/workflows";
import { NotFoundError } from "@icm/workflows";
import type { Principal, Role } from "./auth.js";
import { forbidden } from "./errors.js";

// Who may do what (docs/api.md has the table). Every check happens BEFORE the workspace is asked anything
// about the target, and every denial throws the same bare 403: a rep probing for another rep's statement
// learns nothing, not even whether that rep exists.

/** Roles that read every rep's statements. */
const READ_ALL: readonly Role[] = ["finance", "auditor"];

/** The date "today" for hierarchy questions, as YYYY-MM-DD (UTC). Injected so tests pin it. */
export type Today = () => string;

export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) throw forbidden();
}

/**
 * May the caller read this rep's statements (and their explanations, diffs, proofs)? A rep: only their own.
 * A manager: their own and their team's, through the hierarchy effective today as the log knows it.
 * Finance and auditors: everyone. Admins manage plans and read no statements.
 */
export function canReadRep(
  principal: Principal,
  repId: string,
  workspace: IcmWorkspace,
  today: Today,
): boolean {
  if (READ_ALL.includes(principal.role)) return true;
  if (principal.role === "rep") return principal.repId === repId;
  if (principal.role === "manager") {
    if (principal.repId === undefined) return false;
    if (principal.repId === repId) return true;
    return workspace.isInTeam(principal.repId, repId, today());
  }
  return false;
}

export function requireReadRep(
  principal: Principal,
  repId: string,
  workspace: IcmWorkspace,
  today: Today,
): void {
  if (!canReadRep(principal, repId, workspace, today)) throw forbidden();
}

/**
 * After access is granted: 404 for a rep the log has never heard of. Only callers allowed to read that rep
 * id get here, so the 404 tells them nothing they could not read anyway.
 */
export function requireKnownRep(repId: string, workspace: IcmWorkspace): void {
  // A set lookup in the engine's facts, not workspace.reps() (a sorted copy): this runs on every statement
  // request.
  if (!workspace.engineView.facts.isKnownRep(repId))
    throw new NotFoundError(`no rep ${JSON.stringify(repId)} in the log`);
}

/** Access check, then existence check: the order keeps a denial free of any hint. */
export function requireReadableRep(
  principal: Principal,
  repId: string,
  workspace: IcmWorkspace,
  today: Today,
): void {
  requireReadRep(principal, repId, workspace, today);
  requireKnownRep(repId, workspace);
}
