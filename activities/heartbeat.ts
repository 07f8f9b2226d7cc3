import { Context } from '@temporalio/activity';

type ActivityFn = (...args: never[]) => Promise<unknown>;

/**
 * Each activity heartbeats every `everyMs` while it runs. The workflow's heartbeat timeout then
 * tells a worker that died mid-activity apart from a slow activity.
 */
export function heartbeating<T extends Record<string, ActivityFn>>(activities: T, everyMs: number): T {
  const wrapped = Object.entries(activities).map(([name, fn]) => [
    name,
    async (...args: unknown[]) => {
      const ctx = Context.current();
      ctx.heartbeat();
      const ticker = setInterval(() => ctx.heartbeat(), everyMs);
      try {
        return await fn(...(args as never[]));
      } finally {
        clearInterval(ticker);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}
