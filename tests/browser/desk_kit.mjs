// The pieces of the desk-as-a-phone tests (desk_phone.mjs,
// desk_remote.mjs): Chromium's flags for a fake microphone, an agent's
// desk logged in and Available (every peer connection of it keeps what
// it hears: mark(), take()), a visitor talking from the browser
// (lib.mjs's VISITOR_JS), a callback's status awaited, a supervisor's
// view listening to a call.
import { check, HEAR_PEERS_JS, micFlags, VISITOR_JS, waitText } from
	'./lib.mjs';

export const T = 20000;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Chromium's flags for a fake microphone (lib.mjs)
export const flags = micFlags;

export function deskKit(base) {
	async function status(id, want) {
		const deadline = Date.now() + T;

		for (;;) {
			const cb = await (await fetch(
				`${base}/v1/callbacks/${id}`)).json();
			if (want.includes(cb.status))
				return cb;
			check(Date.now() < deadline, `callback ${id} is ` +
				`${cb.status}, expected ${want}`);
			await sleep(100);
		}
	}

	// logged in, the live socket up (not yet Available)
	async function login(browser, name, ctxOpts = {}) {
		const ctx = await browser.newContext(ctxOpts);
		const page = await ctx.newPage();

		page.on('pageerror', (e) => console.error(`${name}: ${e}`));
		await page.addInitScript({content: HEAR_PEERS_JS});
		await page.goto(`${base}/agent/`);
		await page.locator('#login-name').fill(name);
		await page.locator('#login-password').fill('demo');
		await page.keyboard.press('Enter');
		await page.waitForSelector('#live[data-live=live]',
			{timeout: T});
		return page;
	}

	async function available(page, name) {
		await page.getByLabel('Available').check();
		await page.waitForSelector(
			'#state-badge[data-state=available]', {timeout: T});
		const words = await page.locator('#phone-status')
			.textContent();
		check(/this desk \(ready\)/.test(words),
			`${name}: "${words}"`);
		return page;
	}

	async function desk(browser, name) {
		return available(await login(browser, name), name);
	}

	async function visitor(browser) {
		const page = await browser.newPage();

		page.on('pageerror', (e) => console.error(`visitor: ${e}`));
		await page.goto(`${base}/healthz`);
		await page.addScriptTag({content: VISITOR_JS});
		const cb = await page.evaluate(() => window.talk());
		return {page, id: cb.id};
	}

	async function ringing(page) {
		await page.waitForSelector('#phone-call[data-state=ringing]',
			{timeout: T});
	}

	async function ended(page) {
		await page.waitForSelector('#phone-call', {state: 'hidden',
			timeout: T});
	}

	// name's supervisor view, logged in, the call's row shown
	async function supView(browser, name, id) {
		const page = await login(browser, name);

		await page.locator('#view-sup').click();
		await page.waitForSelector(`#queue tr[data-id="${id}"]` +
			'[data-status=connected] button[data-action=listen]',
			{timeout: T});
		return page;
	}

	// Listen on the call's row, until the page hears it
	async function listen(page, id) {
		await page.locator(`#queue tr[data-id="${id}"] ` +
			'button[data-action=listen]').click();
		await page.waitForSelector(`#queue tr[data-id="${id}"] ` +
			'[data-listen=listening]', {timeout: T});
	}

	// Stop on the call's row: the Listen button comes back
	async function listenStop(page, id) {
		await page.locator(`#queue tr[data-id="${id}"] ` +
			'button[data-action=listen-stop]').click();
		await page.waitForSelector(`#queue tr[data-id="${id}"] ` +
			'button[data-action=listen]', {timeout: T});
	}

	// the page's notice says re
	async function notice(page, re) {
		await waitText(page, '#notice', re, 'the notice', T);
	}

	return {status, login, available, desk, visitor, ringing, ended,
		supView, listen, listenStop, notice};
}
