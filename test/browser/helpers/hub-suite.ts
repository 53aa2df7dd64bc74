import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type ServerProcess } from '../../helpers/server-process.ts';
import { launchChromium } from './chromium.ts';
import { HUB_ENV } from './hub-tabs.ts';

export interface HubSuite {
  readonly server: ServerProcess;
  readonly browser: Browser;
}

/** Registers hooks that start a server (known admin key) and a Chromium for the file's tests. */
export function hubSuite(): HubSuite {
  const suite = {} as { server: ServerProcess; browser: Browser };
  beforeAll(async () => {
    [suite.server, suite.browser] = await Promise.all([startServer({ env: HUB_ENV }), launchChromium()]);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
  });
  return suite;
}
