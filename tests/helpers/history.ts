import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

/** A closed workflow's history as replay loads it: its JSON size, and each scheduled activity's decoded arguments. */
export interface HistoryFigures {
  bytes: number;
  events: number;
  scheduled: { activity: string; args: unknown[] }[];
  /** Every payload in the history, decoded (to search for content that should not be there). */
  payloadText: string;
}

interface JsonPayload {
  data?: string;
}

export async function historyFigures(handle: WorkflowHandle): Promise<HistoryFigures> {
  const json = historyToJSON(await handle.fetchHistory());
  const history = JSON.parse(json) as {
    events: { activityTaskScheduledEventAttributes?: { activityType: { name: string }; input?: { payloads?: JsonPayload[] } } }[];
  };
  const decode = (p: JsonPayload) => Buffer.from(p.data ?? '', 'base64').toString('utf8');
  const texts: string[] = [];
  // Payloads sit at many depths (inputs, results, memos, search attributes): collect every `data` field.
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') texts.push(decode({ data: value }));
    return value;
  });
  return {
    bytes: json.length,
    events: history.events.length,
    scheduled: history.events.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [{ activity: a.activityType.name, args: (a.input?.payloads ?? []).map((p) => JSON.parse(decode(p)) as unknown) }] : [];
    }),
    payloadText: texts.join('\n'),
  };
}
