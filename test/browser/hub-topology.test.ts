import { describe, expect, it } from 'vitest';
import { startReportingPeers } from '../../bench/browser/reporting-peers.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab } from './helpers/hub-tabs.ts';

const suite = hubSuite();

/** Pairs of node labels in the topology SVG whose boxes intersect. */
const overlappingLabels = () => {
  const boxes = [...document.querySelectorAll('[data-node] text:last-of-type')].map((t) => [t.textContent, t.getBoundingClientRect()] as const);
  const hits: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, r] = boxes[i]!;
      const [b, s] = boxes[j]!;
      if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom) hits.push(`${a} × ${b}`);
    }
  }
  // Labels crossing a link line: sample each line and look for points inside a label's box.
  for (const line of document.querySelectorAll('[data-edge] line')) {
    const m = (line as SVGLineElement).getScreenCTM()!;
    const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((k) => Number(line.getAttribute(k)));
    for (const [label, r] of boxes) {
      for (let t = 0.02; t < 0.98; t += 0.02) {
        const p = new DOMPoint(x1! + (x2! - x1!) * t, y1! + (y2! - y1!) * t).matrixTransform(m);
        if (p.x > r.left + 1 && p.x < r.right - 1 && p.y > r.top + 1 && p.y < r.bottom - 1) {
          hits.push(`${label} × link ${line.parentElement!.getAttribute('data-edge')}`);
          break;
        }
      }
    }
  }
  return { count: boxes.length, hits };
};

describe('the topology stays readable from 2 to 50 peers', () => {
  it('draws a ring with no colliding labels while it can, and lists peers where it cannot (phone, many peers)', async () => {
    const peers = [await startReportingPeers(suite.server.url, 11, { adminKey: ADMIN_KEY })];
    try {
      const desk = await openAdminTab(suite.browser, suite.server.url);
      await expect.poll(() => desk.page.locator('[data-node]').count(), { timeout: MESH_WAIT_MS }).toBe(12);
      expect(await desk.page.locator('.topology').getAttribute('data-layout')).toBe('graph');
      const ring = await desk.page.evaluate(overlappingLabels);
      expect(ring.count).toBe(12);
      expect(ring.hits).toEqual([]);
      // Named by their Node agents, never by id.
      expect(await desk.page.locator('[data-node] text').allTextContents()).toContain('kitchen-pi-03');

      const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const phone = await openAdminTab(suite.browser, suite.server.url, context);
      await expect.poll(() => phone.page.locator('.topology').getAttribute('data-layout'), { timeout: MESH_WAIT_MS }).toBe('list');
      await phone.page.locator('.node-grid [data-name="kitchen-pi-03"]').waitFor({ timeout: MESH_WAIT_MS });

      // 50 peers in all: the desktop switches to the list too.
      peers.push(await startReportingPeers(suite.server.url, 37, { adminKey: ADMIN_KEY, first: 11 }));
      await expect.poll(() => desk.page.locator('.topology').getAttribute('data-layout'), { timeout: MESH_WAIT_MS }).toBe('list');
      await expect.poll(() => desk.page.locator('.node-grid li').count(), { timeout: MESH_WAIT_MS }).toBe(50);
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await Promise.all([desk.context.close(), context.close()]);
    } finally {
      for (const p of peers) p.stop();
    }
  });
});
