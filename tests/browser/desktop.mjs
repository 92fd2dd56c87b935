// The agent desk in headless Chromium, driven like a person would: run
// by tests/integration/browser_desktop.sh, which starts beckon (with the
// dialer and sipp phones) and a shop page on loopback, and passes
// BECKON_URL, SITE_URL, DB, ART (the screenshot folder) and SLOW.
//
// alice logs in (with the keyboard) and goes available; the live channel
// is cut and a change made meanwhile shows after it reconnects; bob
// opens the supervisor view; a callback whose name, note and page title
// carry script pops on alice's desk with the page and the customer's
// history; sipp answers both legs; connected; alice hangs up and records
// a sale, shown on the callback and then in the history of the next call
// from the same number; bob's queue and figures change. Nothing a
// visitor sent runs: no dialog, no injected element, no page error.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { launch, ok, check, deskLogin, watchPage, shot as shotIn, text,
	waitText as waitTextFor } from './lib.mjs';

const URL_ = process.env.BECKON_URL;
const SITE = process.env.SITE_URL;
const DB = process.env.DB;
const ART = process.env.ART;
const SLOW = Number(process.env.SLOW || 1);
const T = 15000 * SLOW;

const PHONE = '+14155550190';
const XSS_NAME = '<img src=x onerror="window.__xss=1;alert(1)">Ann';
const XSS_TITLE = '</title><script>window.__xss=2;alert(2)</script>' +
	'Bikes <b>pricing</b>';
const XSS_NOTE = '<svg onload="window.__xss=3;alert(3)"></svg>the blue one';

const problems = [];

async function postCallback(body) {
	const r = await fetch(`${URL_}/v1/callbacks`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify(body),
	});
	const j = await r.json();

	check(r.status === 202, `POST /v1/callbacks: ${r.status} ${
		JSON.stringify(j)}`);
	return j;
}

async function admin(method, path, body) {
	const r = await fetch(`${URL_}/v1/admin${path}`, {
		method,
		headers: {'Content-Type': 'application/json',
			Authorization: 'Bearer demo'},
		body: body ? JSON.stringify(body) : undefined,
	});

	check(r.ok, `${method} /v1/admin${path}: ${r.status}`);
	return r.json();
}

// every way a payload could show it ran, on every page
// what each page's WebSocket received, by who
const frames = {};

// the shop's page refusing to be framed is expected; a refused inline
// script or style would be a CSP report, a problem
const FRAMING = /^(Framing '|Refused to display ')http:\/\/127\.0\.0\.1:\d+\/.*(frame-ancestors|X-Frame-Options)/s;

function watch(page, who) {
	frames[who] = frames[who] || [];
	page.on('websocket', (ws) => ws.on('framereceived',
		(f) => frames[who].push(String(f.payload))));
	watchPage(page, who, problems, FRAMING);
}

async function inert(page, who) {
	const r = await page.evaluate(() => ({
		xss: window.__xss,
		imgs: document.querySelectorAll('img').length,
		svgOnload: document.querySelectorAll('[onload],[onerror]').length,
		scripts: [...document.scripts].map((s) => s.src),
		bold: document.querySelectorAll('main b').length,
	}));

	check(r.xss === undefined, `${who}: a payload ran (__xss=${r.xss})`);
	check(r.imgs === 0 && r.svgOnload === 0 && r.bold === 0,
		`${who}: injected elements ${JSON.stringify(r)}`);
	check(r.scripts.length === 1 && /\/agent\/app\.js$/.test(r.scripts[0]),
		`${who}: scripts ${r.scripts}`);
	check(problems.length === 0, problems.join('\n'));
}

const shot = (page, name) => shotIn(page, ART, name);
const waitText = (page, sel, re, what) =>
	waitTextFor(page, sel, re, what, T);

async function figures(page) {
	return page.evaluate(() => {
		const row = document.querySelector(
			'#figures tr[data-business=demo]');

		if (!row)
			return null;
		const c = [...row.cells].map((td) => td.textContent.trim());

		return {requested: Number(c[1]), canceled: Number(c[2]),
			connected: Number(c[3]), sales: Number(c[9]), total: c[10]};
	});
}

function login(page, name) {
	return deskLogin(page, URL_, name, T);
}

const browser = await launch();
try {
	// ---- alice, on a laptop ----
	const ctxA = await browser.newContext({viewport: {width: 1366,
		height: 900}});
	const alice = await ctxA.newPage();
	watch(alice, 'alice');

	// the page's reads of its state (GET /agent/api/me) in flight
	let reads = 0;
	const isMe = (r) => r.url().endsWith('/agent/api/me');
	alice.on('request', (r) => { reads += isMe(r); });
	alice.on('requestfinished', (r) => { reads -= isMe(r); });
	alice.on('requestfailed', (r) => { reads -= isMe(r); });

	// the live channel goes through here, so the test can cut it
	let cut = false;
	const sockets = [];
	await alice.routeWebSocket(/\/agent\/ws$/, (ws) => {
		if (cut) {
			ws.close();
			return;
		}
		sockets.push({ws, server: ws.connectToServer()});
	});

	await alice.goto(`${URL_}/agent/`);
	await alice.locator('#login-name').waitFor({timeout: T});
	await alice.locator('#login-password').fill('wrong');
	await alice.locator('#login-name').fill('alice');
	await alice.locator('#login-form button[type=submit]').click();
	await waitText(alice, '#login-error', /Wrong login or password/,
		'a wrong password');
	await shot(alice, '01-login-error');
	await login(alice, 'alice');
	check(await text(alice, '#me-name') === 'Alice Archer',
		`me: ${await text(alice, '#me-name')}`);
	check(await alice.locator('#view-sup').isHidden(),
		'an agent has no supervisor view');
	ok('alice logs in with the keyboard (after a wrong password); the ' +
		'live channel is on');

	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	ok('alice goes available with the presence switch');

	// the arrow keys move through the states without saving any: only
	// Enter (or Space, or a click) does
	const sets = [];
	const onReq = (q) => q.url().endsWith('/agent/api/state') &&
		sets.push(q.postData());
	alice.on('request', onReq);
	await alice.getByLabel('Available').focus();
	await alice.keyboard.press('ArrowRight');
	await alice.keyboard.press('ArrowRight');
	await alice.keyboard.press('ArrowLeft');
	await waitText(alice, '#presence-hint', /Enter or Space/, 'the hint');
	const during = await alice.evaluate(async () => (await (await fetch(
		'/agent/api/me')).json()).agent.state);
	check(!sets.length && during === 'available', `arrows saved ${
		JSON.stringify(sets)}, the state is ${during}`);
	await alice.keyboard.press('Enter');
	await alice.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	check(sets.length === 1 && JSON.parse(sets[0]).state === 'away',
		`Enter saved ${JSON.stringify(sets)}`);
	alice.off('request', onReq);
	ok('presence: three arrow keys save nothing (the server still says ' +
		'available); Enter saves the one chosen (away), once');
	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});

	// the live channel drops; meanwhile an admin sets her away; when it
	// is back, the page reads the whole state again. An update that came
	// before the cut may still have its read of the state in flight (a
	// loaded host): the admin acts once none is, or that read would
	// bring the change without the channel.
	cut = true;
	for (const s of sockets.splice(0))
		await s.ws.close({code: 1001, reason: 'test'});
	await alice.waitForSelector('#live:not([data-live=live])',
		{timeout: T});
	for (let i = 0; reads > 0; i++) {
		check(i < T / 50, 'a read of the state never ended');
		await new Promise((r) => setTimeout(r, 50));
	}
	await admin('POST', '/agents/alice/state', {state: 'away'});
	await new Promise((r) => setTimeout(r, 1500));
	check(await alice.locator('#state-badge').getAttribute('data-state') ===
		'available', 'the change arrived while the channel was cut');
	await shot(alice, '02-reconnecting');
	cut = false;
	await alice.waitForSelector('#live[data-live=live]', {timeout: 3 * T});
	await alice.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	ok('the WebSocket is cut and reconnects by itself; the change made ' +
		'meanwhile (away, by an admin) shows after the resync');
	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});

	// an earlier request from the same number: its call is refused by
	// the customer's phone (403: rejected, a retry scheduled), then the
	// customer cancels it: two facts for the history to say apart
	const old = await postCallback({business: 'demo', phone: PHONE,
		name: XSS_NAME, note: 'first try',
		page_url: `${SITE}/pricing/old`});
	const oldLast = async () => {
		const r = await fetch(`${URL_}/v1/callbacks/${old.id}`);
		const j = await r.json();

		return [j.status, j.events[j.events.length - 1]];
	};
	for (let i = 0; ; i++) {
		const [st, ev] = await oldLast();

		if (st === 'scheduled') {
			check(ev.type === 'retry_scheduled' &&
				ev.data.reason === 'rejected',
				`the refused call: ${JSON.stringify(ev)}`);
			break;
		}
		check(i < 10 * T / 1000, `the first call is ${st}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	const rc = await fetch(`${URL_}/v1/callbacks/${old.id}`, {
		method: 'DELETE',
		headers: {Authorization: `Bearer ${old.cancel_token}`}});
	check(rc.status === 200, `cancel: ${rc.status}`);
	const [ost, oev] = await oldLast();
	check(ost === 'canceled' && oev.type === 'canceled',
		`after the cancel, the customer's status: ${ost} ${oev.type}`);
	ok('a request meets a refused call (403: rejected, retry ' +
		'scheduled), then the customer cancels it; alice is available ' +
		'again');

	// ---- bob, the supervisor, on a tablet ----
	const ctxB = await browser.newContext({viewport: {width: 1024,
		height: 1366}, hasTouch: true});
	const bob = await ctxB.newPage();
	watch(bob, 'bob');
	await login(bob, 'bob');
	await bob.locator('#view-sup').click();
	await bob.waitForSelector('#figures tr[data-business=demo]',
		{timeout: T});
	await bob.waitForSelector('#agents tr[data-id=alice][data-state=' +
		'available]', {timeout: T});
	const before = await figures(bob);
	check(before && before.requested === 1 && before.canceled === 1 &&
		before.sales === 0,
		`figures before: ${JSON.stringify(before)}`);
	await shot(bob, '03-supervisor-before');
	ok(`bob's supervisor view: alice available, today ${
		JSON.stringify(before)}`);

	// ---- the callback ----
	const cb = await postCallback({business: 'demo', phone: PHONE,
		name: XSS_NAME, note: XSS_NOTE, page_url: `${SITE}/pricing`,
		page_title: XSS_TITLE});
	writeFileSync(`${ART}/sale-id.txt`, cb.id);

	// the pop of this callback (the refused one's may be shown still)
	await alice.waitForFunction((n) => {
		const p = document.getElementById('pop');
		const f = document.getElementById('f-note');

		return p && !p.hidden && f && f.textContent === n;
	}, XSS_NOTE, {timeout: T});
	check(await text(alice, '#f-phone') === '(415) 555-0190' &&
		await alice.locator('#f-phone').getAttribute('title') === PHONE,
		`phone: ${await text(alice, '#f-phone')}`);
	check(await text(alice, '#f-name') === XSS_NAME,
		`name: ${await text(alice, '#f-name')}`);
	check(await text(alice, '#f-note') === XSS_NOTE, 'note');
	check((await text(alice, '#f-page')).includes(XSS_TITLE), 'title');
	const pageLink = alice.locator('#f-page a');
	check(await pageLink.getAttribute('href') === `${SITE}/pricing`,
		'page link');
	check(await pageLink.getAttribute('rel') === 'noopener noreferrer',
		'rel');
	await waitText(alice, '#f-business', /Demo Shop/, 'business');
	await waitText(alice, '#f-asked', /ago/, 'asked');
	await waitText(alice, '#f-attempt', /^1$|not called/, 'attempt');
	check(await alice.locator('#history > li').count() === 1,
		'one earlier callback');
	const h0 = await text(alice, '#history > li');
	check(h0.includes(XSS_NAME) && h0.includes('first try'),
		`history: ${h0}`);
	// the words the desk shows for the refused-then-canceled request
	const hw = [await text(alice, '#history > li .h-head strong'),
		await text(alice, '#history > li .h-earlier')];
	check(hw[0] === 'Canceled by the customer' &&
		hw[1] === 'Earlier attempt: the call was rejected.',
		`history words: ${JSON.stringify(hw)}`);

	// the page itself, sandboxed, no scripts
	const frame = alice.locator('#frame-box iframe');
	await frame.waitFor({timeout: T});
	check(await frame.getAttribute('sandbox') === '',
		'sandbox with no permissions');
	check(await frame.getAttribute('src') === `${SITE}/pricing`,
		'iframe src');
	await alice.frameLocator('#frame-box iframe').locator('#shop-h')
		.waitFor({timeout: T});
	await waitText(alice, '#page-status', /Shown without its scripts/,
		'frame status');
	check(await alice.locator('#page-open a').getAttribute('href') ===
		`${SITE}/pricing`, 'the open-in-a-tab link');
	ok('screen pop: phone, name, business, asked, attempt, note, page ' +
		'title and link, the page in a sandboxed frame; the earlier ' +
		`callback in the history: "${hw[0]}", "${hw[1]}"`);

	// sipp answers both legs
	await alice.waitForSelector('.callstate[data-status=connected]',
		{timeout: 2 * T});
	await waitText(alice, '#call-words', /Connected/, 'connected words');
	await waitText(alice, '#call-timer', /talking 0:0[1-9]/, 'timer');
	await alice.waitForSelector('#state-badge[data-state=on_call]',
		{timeout: T});
	const tl = await text(alice, '#timeline');
	for (const w of ['Asked to be called back', 'Offered to you',
		'Calling the customer', 'hold message', 'Connected'])
		check(tl.includes(w), `timeline lacks "${w}": ${tl}`);
	await inert(alice, 'alice');
	await shot(alice, '04-pop-connected');
	ok('the phones answer: connected with a running timer; the timeline ' +
		'says offered, calling, hold message, connected');

	// bob sees the call in the queue and alice on it
	await bob.waitForSelector(`#queue tr[data-id="${cb.id}"]` +
		'[data-status=connected]', {timeout: T});
	await bob.waitForSelector('#agents tr[data-id=alice][data-state=' +
		'on_call]', {timeout: T});
	await waitText(bob, '#agent-states', /On a call: 1/, 'state chart');
	const qrow = await text(bob, `#queue tr[data-id="${cb.id}"]`);
	check(qrow.includes(XSS_NAME) && qrow.includes('demo') &&
		qrow.includes('(415) 555-0190') && qrow.includes('talking') &&
		!qrow.includes('waiting') && qrow.includes('Alice Archer') &&
		!qrow.includes(PHONE), `queue row: ${qrow}`);
	const arow = await text(bob, '#agents tr[data-id=alice]');
	check(arow.includes(`${XSS_NAME} · (415) 555-0190`) &&
		!arow.includes(cb.id), `alice's row: ${arow}`);
	await inert(bob, 'bob');
	await shot(bob, '05-supervisor-call');
	const nudges = frames.bob.filter((f) => f === '{"type":"queue"}');
	check(nudges.length >= 1, `no "queue" nudge reached the supervisor: ${
		JSON.stringify(frames.bob.slice(-5))}`);
	check(!frames.alice.some((f) => f.includes('"queue"')),
		'an agent got the supervisors\' nudge');
	ok('supervisor: the call in the queue (connected, the name as text), ' +
		`alice on a call; told over the WebSocket (${nudges.length} ` +
		'"queue" nudges), not by polling');

	// a tablet-sized desk, for the record
	await alice.setViewportSize({width: 820, height: 1180});
	await shot(alice, '06-pop-tablet');
	await alice.setViewportSize({width: 1366, height: 900});

	// hang up, then the wrap-up with a sale
	await alice.getByRole('button', {name: 'Hang up'}).click();
	await alice.waitForSelector('.callstate[data-status=completed]',
		{timeout: T});
	await waitText(alice, '#call-words', /Ended: you hung up/, 'ended');
	await alice.waitForSelector('#state-badge[data-state=wrap_up]',
		{timeout: T});
	await alice.locator('#wrapup').waitFor({timeout: T});
	await alice.getByLabel('Outcome', {exact: true}).selectOption('sale');
	await alice.getByLabel('Product').fill('City bike');
	await alice.getByLabel('Quantity').fill('1');
	await alice.getByLabel('Amount').fill('1,499.90');
	await alice.getByLabel('Currency').fill('usd');
	await alice.getByLabel('Order reference').fill('A-17');
	await alice.getByLabel('Notes').fill('<i>wants</i> delivery Friday');
	await shot(alice, '07-wrapup');
	await alice.getByRole('button', {name: 'Save and ready'}).click();
	await alice.locator('#outcome').waitFor({timeout: T});
	await waitText(alice, '#outcome-line',
		/^Sale: City bike, 1,499\.90 USD \(order A-17\)$/, 'outcome');
	await waitText(alice, '#outcome-notes',
		/<i>wants<\/i> delivery Friday/, 'outcome notes');
	await waitText(alice, '#timeline', /Wrap-up by you: Sale/, 'timeline');
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	check(await alice.locator('#wrapup').isHidden(), 'form gone');
	await shot(alice, '08-saved');
	ok('hang-up from the desk: ended, wrap-up; a sale saved (Save and ' +
		'ready): shown on the callback and its timeline, alice available');

	// the store has it (the shell checks every column again)
	const row = execFileSync('sqlite3', [DB, 'SELECT disposition, ' +
		`amount_cents, currency FROM outcomes WHERE callback_id='${
		cb.id}'`]).toString().trim();
	check(row === 'sale|149990|USD', `store: ${row}`);
	ok(`the sale is in the store: ${row}`);

	// bob's figures change
	try {
		await bob.waitForFunction(() => {
			const row = document.querySelector(
				'#figures tr[data-business=demo]');

			return row && row.cells[9].textContent === '1';
		}, null, {timeout: T});
	} catch {
		throw new Error(`FAIL: figures after: ${JSON.stringify(
			await figures(bob))}`);
	}
	const after = await figures(bob);
	check(after.requested === 2 && after.connected === 1 &&
		after.sales === 1 && after.total === '1,499.90 USD',
		`figures after: ${JSON.stringify(after)}`);
	check(await bob.locator('#chart svg rect').count() >= 5, 'chart');
	await bob.waitForSelector(`#queue tr[data-id="${cb.id}"]`,
		{state: 'detached', timeout: T});
	await shot(bob, '09-supervisor-after');
	ok(`supervisor: figures change ${JSON.stringify(before)} -> ${
		JSON.stringify(after)}; the call left the queue`);

	// the same customer again, from a page that forbids framing: the
	// history shows the sale; the page panel says why it is blank
	const cb2 = await postCallback({business: 'demo', phone: PHONE,
		name: 'Ann', page_url: `${SITE}/noframe`});
	await alice.waitForFunction((id) => {
		const li = document.querySelector('#history > li');

		return li && document.querySelector(`#history li[data-id="${
			id}"]`);
	}, cb.id, {timeout: T});
	const hs = await text(alice, `#history li[data-id="${cb.id}"]`);
	check(/Outcome: Sale: City bike, 1,499\.90 USD \(order A-17\) \(you\)/
		.test(hs) && hs.includes('delivery Friday'),
		`history of the sale: ${hs}`);
	check(await alice.locator('#history > li').count() === 2,
		'two earlier callbacks');
	check(await text(alice, '#f-name') === 'Ann', 'the new pop');
	// the browser hides a refusal from the page (a sandboxed frame
	// cannot be looked into): the note says what a blank frame means and
	// the link opens the page; the frame shows nothing of the shop
	await waitText(alice, '#page-status', new RegExp('Blank or an error ' +
		'below\\? The site does not allow being shown inside another ' +
		'page: open it with the link\\.'), 'framing forbidden');
	check(await alice.locator('#page-open a').getAttribute('href') ===
		`${SITE}/noframe`, 'a link to the page');
	check(await alice.locator('#page-open a').getAttribute('target') ===
		'_blank', 'the link opens a tab');
	check(await alice.frameLocator('#frame-box iframe').locator('#shop-h')
		.count() === 0, 'the refused page rendered in the frame');
	await alice.waitForSelector('.callstate[data-status=connected]',
		{timeout: 2 * T});
	await inert(alice, 'alice');
	await shot(alice, '10-history');
	ok('the next call from the number: its history holds the sale; a ' +
		'page that forbids framing gets the message and the link');

	await alice.getByRole('button', {name: 'Hang up'}).click();
	await alice.waitForSelector('.callstate[data-status=completed]',
		{timeout: T});
	await alice.locator('#wrapup').waitFor({timeout: T});
	ok(`the second call (${cb2.id}) hung up; its wrap-up is due`);

	// log out: the session is gone
	await alice.getByRole('button', {name: 'Log out'}).click();
	await alice.locator('#login').waitFor({timeout: T});
	const me = await alice.evaluate(async () => (await fetch(
		'/agent/api/me')).status);
	check(me === 401, `me after log-out: ${me}`);
	await inert(alice, 'alice');
	await inert(bob, 'bob');
	ok('log-out ends the session; no dialog, no injected element, no ' +
		'page error anywhere');
} finally {
	await browser.close();
}
