// Agent first with Accept, in headless Chromium: run by
// tests/integration/browser_desktop_accept.sh, which sets the business
// to agent_first with an accept_timeout of ACCEPT_S seconds and starts
// beckon with the dialer and sipp phones (BECKON_URL, ART, SLOW).
//
// bob (idle longer) gets the first offer: Accept and Decline with a
// countdown show, nothing is dialed; he clicks Decline. The offer goes to
// alice, whose Accept has the focus; the countdown runs; she presses
// Enter; her phone and the customer's are called (sipp answers both) and
// the desk shows them connected; she hangs up.
import { writeFileSync } from 'node:fs';
import { launch, ok, check, deskLogin, watchPage, shot as shotIn, text,
	waitText as waitTextFor } from './lib.mjs';

const URL_ = process.env.BECKON_URL;
const ART = process.env.ART;
const SLOW = Number(process.env.SLOW || 1);
const ACCEPT_S = Number(process.env.ACCEPT_S || 30);
const T = 15000 * SLOW;

const problems = [];
const watch = (page, who) => watchPage(page, who, problems);
const shot = (page, name) => shotIn(page, ART, name);
const waitText = (page, sel, re, what) =>
	waitTextFor(page, sel, re, what, T);

// logged in and Available
async function login(page, name) {
	await deskLogin(page, URL_, name, T);
	await page.getByLabel('Available').check();
	await page.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
}

// the countdown's seconds left, from "Accept within m:ss"
async function secondsLeft(page) {
	const m = /Accept within (\d+):(\d\d)/.exec(await text(page,
		'#offer-count'));

	check(m, `countdown: "${await text(page, '#offer-count')}"`);
	return Number(m[1]) * 60 + Number(m[2]);
}

const browser = await launch();
try {
	const ctxB = await browser.newContext({viewport: {width: 1366,
		height: 900}});
	const bob = await ctxB.newPage();
	watch(bob, 'bob');
	await login(bob, 'bob');
	await new Promise((r) => setTimeout(r, 50));
	const ctxA = await browser.newContext({viewport: {width: 1024,
		height: 1366}, hasTouch: true});
	const alice = await ctxA.newPage();
	watch(alice, 'alice');
	await login(alice, 'alice');
	ok('bob, then alice, log in and go available');

	const r = await fetch(`${URL_}/v1/callbacks`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo', phone: '+14155550191',
			name: 'Gus', note: 'the red one'}),
	});
	const cb = await r.json();
	check(r.status === 202, `POST /v1/callbacks: ${r.status}`);

	// bob: Accept and Decline with a countdown; nothing dialed
	await bob.waitForSelector('#offer:not([hidden]) #accept:not([hidden])',
		{timeout: T});
	await waitText(bob, '#offer-count', /Accept within \d+:\d\d/,
		'bob\'s countdown');
	check(await bob.locator('#decline').isVisible(), 'Decline shows');
	check(await bob.locator('#state-badge').getAttribute('data-state') ===
		'offered', 'bob is reserved');
	await waitText(bob, '#call-words', /Offered to you: nobody is called/,
		'bob\'s call state');
	check(await bob.evaluate(() => document.activeElement &&
		document.activeElement.id) === 'accept', 'Accept has the focus');
	await shot(bob, 'a1-offer-bob');
	ok(`bob's desk: Accept (focused) and Decline, "${await text(bob,
		'#offer-count')}", nobody called`);

	await bob.locator('#decline').click();
	await waitText(bob, '#control-msg', /Declined/, 'bob declined');
	await bob.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	await bob.waitForSelector('#offer', {state: 'hidden', timeout: T});
	ok('bob clicks Decline: available again, the offer is gone from his ' +
		'desk');

	// alice: the offer, Accept focused, a running countdown
	await alice.waitForSelector('#offer:not([hidden]) #accept:not([hidden])',
		{timeout: T});
	await alice.waitForFunction(() => document.activeElement &&
		document.activeElement.id === 'accept', null, {timeout: T});
	const s1 = await secondsLeft(alice);
	check(s1 > 0 && s1 <= ACCEPT_S, `countdown ${s1} of ${ACCEPT_S} s`);
	await new Promise((res) => setTimeout(res, 2200));
	const s2 = await secondsLeft(alice);
	check(s2 < s1, `the countdown does not run: ${s1} then ${s2}`);
	await shot(alice, 'a2-offer-alice');
	ok(`alice's desk: the offer with Accept focused, the countdown runs ` +
		`(${s1} s, then ${s2} s)`);

	// Enter on the focused Accept
	await alice.keyboard.press('Enter');
	await waitText(alice, '#control-msg', /Accepted/, 'accepted');
	await waitText(alice, '#call-words', /Connected/, 'connected');
	await alice.waitForSelector('#offer', {state: 'hidden', timeout: T});
	await shot(alice, 'a3-connected');
	ok('alice presses Enter on Accept: her phone and the customer\'s are ' +
		'called, connected');

	await alice.locator('#hangup').click();
	await waitText(alice, '#call-words', /Ended/, 'ended');
	ok('alice hangs up');

	check(problems.length === 0, problems.join('\n'));
	writeFileSync(`${ART}/accept-id.txt`, cb.id);
} finally {
	await browser.close();
}
