import { describe, expect, it } from 'vitest';
import { MESH_WAIT_MS, openAdminTab, openView } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';

const suite = hubSuite();

describe('the Tasks form via the server queue', () => {
  it('submits with POST /api/tasks; the tab\'s own agent runs the pushed task and the result comes back', async () => {
    const { page } = await openAdminTab(suite.browser, suite.server.url);
    await openView(page, 'tasks');
    // The tab's agents are registered once the agent list offers echo (the only agent: this tab).
    await page.locator('select[name=skill] option', { hasText: /^echo$/ }).waitFor({ state: 'attached', timeout: MESH_WAIT_MS });
    await page.locator('select[name=skill]').selectOption('echo');
    await page.locator('textarea[name=input]').fill('{"via":"queue"}');
    await page.locator('input[name=via-queue]').check();
    await page.getByRole('button', { name: 'Run task' }).click();
    const call = page.locator('[data-testid=call-list] li[data-via="queue"]').first();
    await call.and(page.locator('[data-state="completed"]')).waitFor({ timeout: MESH_WAIT_MS });
    expect(JSON.parse((await call.getByTestId('call-output').textContent())!)).toEqual({ via: 'queue' });
  });
});
