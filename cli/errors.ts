import { SkillImportError } from '../skill-store/jsonl.js';
import { SkillExportError } from '../skill-store/skill-md.js';
import { EmbedderMismatchError, SkillNotFoundError, SkillStoreError, VersionConflictError } from '../skill-store/store.js';
import { UsageError } from '../infra/errors.js';

// UsageError lives in infra because the episode client (below the CLI) throws it too; commands take it from here.
export { UsageError } from '../infra/errors.js';

/**
 * Skill store failures the user can act on (a bad file, a missing skill, a conflict, another
 * embedder, a server that refused or is unreachable) as a UsageError: one sentence, exit 2.
 * Anything else is returned as it is (a bug: its stack trace is worth printing).
 */
export function skillStoreUsageError(err: unknown): unknown {
  const forUser = [SkillImportError, SkillExportError, SkillNotFoundError, VersionConflictError, EmbedderMismatchError, SkillStoreError];
  return forUser.some((kind) => err instanceof kind) ? new UsageError((err as Error).message) : err;
}
