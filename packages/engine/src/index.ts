// The engine's public API. Stage 1 (facts → per rep and quota period earnings) and stage 2 (statements:
// timing, draws, close, prior-period adjustments) behind one facade, `Engine`.
export * from "./calendar/index.js";
export * from "./close/index.js";
export * from "./crediting/index.js";
export * from "./draw/index.js";
export * from "./earnings/index.js";
export * from "./engine/index.js";
export * from "./facts/index.js";
export * from "./ledger/types.js";
export * from "./plan/index.js";
export * from "./statement/index.js";
export * from "./timing/index.js";
export * from "./version.js";
