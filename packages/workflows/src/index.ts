// @icm/workflows: the application layer over one event store and the engine. Finance runs payouts
// (preview, close, payroll), reps and managers query statements (as-of, explain, diff, what-if), auditors
// replay closes (verify, Merkle proofs, bundles). No HTTP here: the CLI and the API call these.
export * from "./audit-replay/index.js";
export * from "./payout-run/index.js";
export * from "./statement-queries/index.js";
export * from "./workspace/index.js";
