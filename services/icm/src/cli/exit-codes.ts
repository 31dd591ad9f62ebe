/**
 * Exit codes of `icm`, stable for scripts:
 * 0 ok; 1 unexpected failure; 2 invalid input (bad arguments, invalid events, unknown period, entry or
 * close); 3 refused (a close with open exceptions and no override); 4 verification failed (a close or a
 * bundle did not reproduce, a proof did not check).
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;
export const EXIT_REFUSED = 3;
export const EXIT_VERIFICATION_FAILED = 4;
