import type { SkillFilter } from './store.js';

/** The payload fields every store filters on, flattened from a record. */
export interface SkillPayload {
  tier: string;
  domain: string | null;
  competition: string | null;
  status: string;
  /** Empty when the skill applies to any task type. */
  taskTypes: string[];
}

/** The filter as a predicate over payloads (the SQLite store's in-memory vector scan uses it). */
export function payloadPredicate(filter: SkillFilter): (p: SkillPayload) => boolean {
  const tiers = filter.tier ? new Set<string>(filter.tier) : null;
  const statuses = filter.status ? new Set<string>(filter.status) : null;
  return (p) =>
    (!tiers || tiers.has(p.tier)) &&
    (!statuses || statuses.has(p.status)) &&
    (filter.domain === undefined || p.domain === filter.domain) &&
    (filter.competition === undefined || p.competition === filter.competition) &&
    (filter.taskType === undefined || p.taskTypes.length === 0 || p.taskTypes.includes(filter.taskType));
}
