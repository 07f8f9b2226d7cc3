import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The episode's custom search attributes: the Temporal UI and `temporal workflow list --query` filter on these. */
export const CompetitionIdKey = defineSearchAttributeKey('CompetitionId', SearchAttributeType.KEYWORD);
export const DomainKey = defineSearchAttributeKey('Domain', SearchAttributeType.KEYWORD);
export const PhaseKey = defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD);
export const BestScoreKey = defineSearchAttributeKey('BestScore', SearchAttributeType.DOUBLE);
export const ComputeSecondsKey = defineSearchAttributeKey('ComputeSeconds', SearchAttributeType.DOUBLE);
/** LLM tokens (prompt + completion) the episode's roles spent; set only on episodes that asked a model. */
export const TokensKey = defineSearchAttributeKey('Tokens', SearchAttributeType.INT);

/** Registered by `haste dev up` as `--search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_REGISTRATION: Record<string, 'Keyword' | 'Double' | 'Int'> = {
  CompetitionId: 'Keyword',
  Domain: 'Keyword',
  Phase: 'Keyword',
  BestScore: 'Double',
  ComputeSeconds: 'Double',
  Tokens: 'Int',
};
