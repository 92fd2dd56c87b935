// The desk's note on why an agent gets no calls, in headless Chromium: run
// by tests/integration/browser_away.sh, which starts beckon with the
// dialer in process, a sipp customer that answers and a sipp phone for
// bob that answers 503, and passes BECKON_URL, ART (screenshots) and SLOW.
//
// alice (a softphone that never registered) chooses Available: refused,
// her desk says why and what to do, and she stays offline. bob (a desk phone)
// goes available; a callback comes, his phone answers 503: beckon sets him
// away, and his desk says so, with the reason and the way back, also after
// a reload; he chooses Available and the note goes.
import { launch, ok, check, deskLogin } from './lib.mjs';

const URL_ = process.env.BECKON_URL;
const ART = process.env.ART;
const SLOW = Number(process.env.SLOW || 1);
const T = 15000 * SLOW;

check(URL_ && ART, 'BECKON_URL and ART must be set');

const NOT_REGISTERED = 'your phone is your softphone, and it is not ' +
	'registered: register it (your agent id as the SIP user, your SIP ' +
	'password), then choose Available';
const SET_AWAY = 'beckon set you away: your phone cannot be reached ' +
	'(SIP 503). Check your phone, then choose Available.';

async function note(page) {
	const n = page.locator('#phone-note');

	return (await n.isVisible()) ? (await n.textContent()).trim() : '';
}

async function waitNote(page, want, what) {
	try {
		await page.waitForFunction((w) => {
			const n = document.getElementById('phone-note');

			return w ? !n.hidden && n.textContent.trim() === w
				: n.hidden;
		}, want, {timeout: T});
	} catch (e) {
		throw new Error(`FAIL: ${what}: the note says "${
			await note(page)}"`);
	}
}

async function available(page) {
	await page.getByLabel('Available').check();
	await page.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
}

const browser = await launch();
try {
	const alice = await (await browser.newContext()).newPage();
	await deskLogin(alice, URL_, 'alice', T);
	await waitNote(alice, '', 'alice away by herself');
	// a click: the radio does not stay checked
	await alice.getByLabel('Available').click();
	await alice.waitForFunction((w) => {
		const n = document.getElementById('notice');

		return !n.hidden && n.textContent.trim() === w;
	}, NOT_REGISTERED, {timeout: T}).catch(async () => {
		throw new Error(`FAIL: alice's notice says "${
			await alice.locator('#notice').textContent()}"`);
	});
	check(await alice.locator('#state-badge').getAttribute('data-state')
		=== 'offline', 'alice is not offline');
	check(/not reachable/.test(await alice.locator('#phone-status')
		.textContent()), 'the phone status does not say unreachable');
	await alice.screenshot({path: `${ART}/alice-not-registered.png`});
	ok(`alice chooses Available with no registered phone: refused, ` +
		`"${NOT_REGISTERED}"`);

	const bob = await (await browser.newContext()).newPage();
	await deskLogin(bob, URL_, 'bob', T);
	await available(bob);
	await waitNote(bob, '', 'bob available with a desk phone');

	const r = await fetch(`${URL_}/v1/callbacks`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo',
			phone: '+14155550191'}),
	});
	check(r.status === 202, `POST /v1/callbacks: ${r.status}`);

	await bob.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	await waitNote(bob, SET_AWAY, 'bob set away by beckon');
	await bob.screenshot({path: `${ART}/bob-set-away.png`});
	await bob.reload();
	await bob.locator('#presence').waitFor({timeout: T});
	await waitNote(bob, SET_AWAY, 'bob set away, after a reload');
	ok(`bob's phone answers 503: set away, his desk says "${SET_AWAY}" ` +
		'(also after a reload)');

	await available(bob);
	await waitNote(bob, '', 'bob available again');
	await bob.getByLabel('Away', {exact: true}).check();
	await bob.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	await waitNote(bob, '', 'bob away by himself');
	ok('bob chooses Available: the note goes; away by his own choice, ' +
		'no note');
} finally {
	await browser.close();
}
