import { describe, expect, it } from 'vitest';
import { createInvite as createInviteAs, hubRecords, openAdminTab, openTab, openView, peerIdOf } from './helpers/hub-tabs.ts';
import { decodeSvgQr } from './helpers/qr-decode.ts';
import { hubSuite } from './helpers/hub-suite.ts';

const suite = hubSuite();

const createInvite = (autoApprove: boolean) => createInviteAs(suite.server.url, autoApprove);

describe('joining with an invite', () => {
  it('pairs a new device after an admin approves it, keeps it across reloads, and kicks it when revoked', async () => {
    const admin = await openAdminTab(suite.browser, suite.server.url);
    await openView(admin.page, 'admin');
    await admin.page.getByRole('button', { name: 'Create invite link' }).click();
    const inviteUrl = (await admin.page.getByTestId('invite-url').textContent())!;
    expect(inviteUrl).toMatch(new RegExp(`^${suite.server.url}/#invite=[A-Z2-7]{12}$`));
    expect(await decodeSvgQr(admin.page.getByRole('img', { name: 'invite QR code' }))).toBe(inviteUrl);
    // A loopback link cannot work from a phone: the hub says how to fix it.
    await admin.page.getByTestId('invite-loopback').waitFor();

    const device = await openTab(suite.browser, inviteUrl);
    await device.page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
    // The code left the address bar as soon as the page read it.
    expect(device.page.url()).toBe(`${suite.server.url}/`);
    const name = (await device.page.getByTestId('pairing-name').textContent())!;
    expect(name).toMatch(/^Chromium on Linux · [0-9a-f]{6}$/);

    const request = admin.page.locator(`[data-testid=approvals] li[data-name="${name}"]`);
    await request.getByRole('button', { name: 'Approve' }).click();
    const peerId = await peerIdOf(device.page);
    expect(peerId.slice(1, 7)).toBe(name.slice(-6));
    await expect(device.page.getByRole('button', { name: 'Admin' }).count()).resolves.toBe(0);
    await admin.page.locator(`[data-testid=devices] li[data-name="${name}"]`).waitFor();

    await device.page.reload();
    expect(await peerIdOf(device.page)).toBe(peerId);
    // The identity key lives in IndexedDB and cannot be exported, only used.
    type KeyInfo = { type: string; extractable: boolean };
    const identities = await hubRecords<{ peerId: string; keys: { privateKey: KeyInfo } }>(device.page, 'identities');
    expect(identities.map((i) => [i.peerId, i.keys.privateKey])).toEqual([[peerId, { type: 'private', extractable: false, algorithm: expect.any(String) }]]);

    // Revoking kicks the live session at once; the device says so, also after a reload (what it
    // keeps while refused is hub-refused.test.ts's subject).
    admin.page.once('dialog', (d) => void d.accept());
    await admin.page.locator(`[data-testid=devices] li[data-name="${name}"]`).getByRole('button', { name: 'Revoke' }).click();
    await device.page.getByText('This device was revoked by an admin.').waitFor();
    await device.page.reload();
    await device.page.getByRole('heading', { name: 'This device was revoked' }).waitFor();
    // Requests in flight when the device was revoked are refused (403 for its live JWT, 401 for a
    // token exchange with its revoked device token); nothing else may go wrong.
    expect(device.problems.filter((p) => !/status of 40[13]\b/.test(p))).toEqual([]);
    await Promise.all([admin.context.close(), device.context.close()]);
  });

  it('joins at once with an auto-approve invite and forgets the device on sign-out', async () => {
    const invite = await createInvite(true);
    const device = await openTab(suite.browser, invite.url);
    await peerIdOf(device.page);
    device.page.once('dialog', (d) => void d.accept());
    await device.page.getByRole('button', { name: 'Sign out' }).click();
    await device.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    await device.page.reload();
    await device.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    expect(await device.page.evaluate(() => localStorage.length)).toBe(0);
    await device.context.close();
  });

  it('tells a rejected device so and lets it try again', async () => {
    const admin = await openAdminTab(suite.browser, suite.server.url);
    const invite = await createInvite(false);
    const device = await openTab(suite.browser, invite.url);
    const name = (await device.page.getByTestId('pairing-name').textContent())!;
    await openView(admin.page, 'admin');
    await admin.page.locator(`[data-testid=approvals] li[data-name="${name}"]`).getByRole('button', { name: 'Reject' }).click();
    await device.page.getByText('An admin rejected this device.').waitFor();
    await device.page.getByRole('heading', { name: 'Join the mesh' }).waitFor();
    await Promise.all([admin.context.close(), device.context.close()]);
  });
});
