// Every test process signs audit records with a fixed test key (CLI children load their own from the
// master key, as production does).
import { setAuditKeySource } from '../src/audit/audit-key.js';

export const TEST_AUDIT_KEY = Buffer.alloc(32, 7);

setAuditKeySource(() => Promise.resolve(TEST_AUDIT_KEY));
