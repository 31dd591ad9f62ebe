import { canonicalStatement, Engine, type Statement } from "@icm/engine";
import type { StatementModel } from "./engine-port.js";

/** The production statement model: the real engine, and the canonical form its closes digest. */
export const engineStatementModel: StatementModel<Statement> = {
  createEngine: () => new Engine(),
  canonical: canonicalStatement,
};
