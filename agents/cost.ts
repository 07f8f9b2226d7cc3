import type { PriceTable } from '../schemas/prices.js';
import type { TokenLedger } from '../schemas/ledger.js';
import type { AgentRole, RoleUsage } from './types.js';

export interface Money {
  amount: number;
  currency: string;
}

/** What these tokens cost under the table (the model's own row, else `*`); null when the table has no price for the model. */
export function priceTokens(table: PriceTable, model: string | undefined, promptTokens: number, completionTokens: number): Money | null {
  const price = (model !== undefined ? table[model] : undefined) ?? table['*'];
  if (!price) return null;
  return { amount: (promptTokens * price.prompt_per_million + completionTokens * price.completion_per_million) / 1e6, currency: price.currency };
}

export interface LedgerCost {
  total: Money;
  byRole: Partial<Record<AgentRole, Money>>;
}

/** An episode's ledger in money; its model is the one that answered (one endpoint per episode). Null without a price for it. */
export function ledgerCost(table: PriceTable, ledger: TokenLedger, model: string | undefined): LedgerCost | null {
  const total = priceTokens(table, model, ledger.promptTokens, ledger.completionTokens);
  if (!total) return null;
  const byRole = Object.fromEntries(Object.entries(ledger.byRole).map(([role, r]) => [role, priceTokens(table, model, r.promptTokens, r.completionTokens)!]));
  return { total, byRole };
}

/** Money as people read it: enough digits for fractions of a cent. */
export function formatMoney(m: Money): string {
  const digits = m.amount === 0 ? 2 : m.amount < 0.01 ? 6 : m.amount < 1 ? 4 : 2;
  return `${m.amount.toFixed(digits)} ${m.currency}`;
}

/** The model that answered an episode's roles (one endpoint per episode); undefined when none did. */
export function episodeModel(episode: { ledger: { usage?: RoleUsage }[]; distilled?: { usage?: RoleUsage } }): string | undefined {
  return [...episode.ledger.map((s) => s.usage), episode.distilled?.usage].find((u) => u?.model)?.model;
}
