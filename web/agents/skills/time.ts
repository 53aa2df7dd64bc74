import { SkillError } from '../../mesh/agents.ts';
import { defineSkill } from './skill-definition.ts';

interface TimeInput {
  timeZone?: string;
}

/** `time`: the peer's clock, as epoch ms, ISO 8601 (UTC) and local wall time in a time zone. */
export const timeSkill = defineSkill<TimeInput>({
  name: 'time',
  description: "Returns this peer's current time: epoch milliseconds, ISO 8601 UTC, and wall-clock time in a time zone.",
  inputSchema: {
    type: 'object',
    properties: { timeZone: { type: 'string', maxLength: 64, description: 'IANA zone such as Europe/Berlin; default: the peer\'s own' } },
    additionalProperties: false,
  },
  handler: async ({ timeZone }) => {
    const now = new Date();
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short', timeStyle: 'medium', hourCycle: 'h23' });
    } catch {
      throw new SkillError('bad-input', `time: input.timeZone: unknown time zone "${timeZone}"`);
    }
    return { epochMs: now.getTime(), iso: now.toISOString(), timeZone: format.resolvedOptions().timeZone, local: format.format(now) };
  },
});
