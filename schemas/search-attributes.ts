import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The episode's custom search attributes: the Temporal UI and `temporal workflow list --query` filter on these. */
export const CompetitionIdKey = defineSearchAttributeKey('CompetitionId', SearchAttributeType.KEYWORD);
export const DomainKey = defineSearchAttributeKey('Domain', SearchAttributeType.KEYWORD);
export const PhaseKey = defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD);
export const BestScoreKey = defineSearchAttributeKey('BestScore', SearchAttributeType.DOUBLE);
export const ComputeSecondsKey = defineSearchAttributeKey('ComputeSeconds', SearchAttributeType.DOUBLE);

/** Registered by `haste dev up` as `--search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_REGISTRATION: Record<string, 'Keyword' | 'Double'> = {
  CompetitionId: 'Keyword',
  Domain: 'Keyword',
  Phase: 'Keyword',
  BestScore: 'Double',
  ComputeSeconds: 'Double',
};
