import os from 'node:os';
import { defineSkill } from '../../web/agents/skills/skill-definition.ts';

/** `sysinfo`: facts about the machine hosting this peer (no secrets, no environment). */
export const sysinfoSkill = defineSkill<Record<string, never>>({
  name: 'sysinfo',
  description: 'Facts about the machine hosting this peer: OS, CPU, memory, load, uptime, Node version.',
  inputSchema: { type: 'object', additionalProperties: false },
  handler: async () => {
    const cpus = os.cpus();
    return {
      hostname: os.hostname(),
      platform: os.platform(),
      release: os.release(),
      arch: os.arch(),
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      loadAverage: os.loadavg(),
      totalMemoryBytes: os.totalmem(),
      freeMemoryBytes: os.freemem(),
      uptimeSeconds: Math.round(os.uptime()),
      node: process.version,
    };
  },
});
