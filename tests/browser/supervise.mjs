// A supervisor who acts, in headless Chromium: run by
// tests/integration/browser_supervise.sh (BECKON_URL, ART, SLOW), a demo
// server without a phone line, so that callbacks wait.
//
// bob opens the supervisor view; three callbacks wait, each saying why
// (no phone line). He moves Cy to the front, reschedules Ben (a dialog
// with a time), assigns Ann to alice, cancels Ben (confirmed in the
// dialog); alice, logged in and available, is set away, then logged out
// by him: her desk goes back to the log-in form. Every step is checked
// against the page and the API; no page error, no console error.
import { writeFileSync } from 'node:fs';
import { launch, ok, check, deskLogin, watchPage, shot as shotIn }
	from './lib.mjs';

const URL_ = process.env.BECKON_URL;
const ART = process.env.ART;
const SLOW = Number(process.env.SLOW || 1);
const T = 15000 * SLOW;

const problems = [];
const watch = (page, who) => watchPage(page, who, problems);
const shot = (page, name) => shotIn(page, ART, name);
const login = (page, name) => deskLogin(page, URL_, name, T);

async function callback(phone, name) {
	const r = await fetch(`${URL_}/v1/callbacks`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo', phone, name}),
	});
	check(r.status === 202, `POST /v1/callbacks: ${r.status}`);
	return (await r.json()).id;
}

// the supervisor view's JSON, as bob's page reads it
async function view(page) {
	return page.evaluate(async () => (await fetch('/agent/api/supervisor',
		{cache: 'no-store'})).json());
}

const row = (id) => `#queue tbody tr[data-id="${id}"]`;

// until callback id's row has status (if given) and its why matches re
async function waitRow(page, id, status, re, what) {
	try {
		await page.waitForFunction(([sel, st, src]) => {
			const tr = document.querySelector(sel);

			return tr && (!st || tr.dataset.status === st) &&
				new RegExp(src).test(
					tr.querySelector('.why').textContent);
		}, [row(id), status, re.source], {timeout: T});
	} catch {
		throw new Error(`FAIL: ${what}: the row is "${await page.locator(
			row(id)).textContent().catch(() => 'gone')}"`);
	}
}

const browser = await launch();
try {
	const ctxB = await browser.newContext({viewport: {width: 1440,
		height: 1000}});
	const bob = await ctxB.newPage();
	watch(bob, 'bob');
	await login(bob, 'bob');
	await bob.locator('#view-sup').click();
	await bob.locator('#sup').waitFor({timeout: T});

	const ann = await callback('+14155550121', 'Ann');
	const ben = await callback('+14155550122', 'Ben');
	const cy = await callback('+14155550123', 'Cy');
	await waitRow(bob, cy, null, /No phone line/, 'why Cy waits');
	check((await bob.locator('#queue tbody tr').first()
		.getAttribute('data-id')) === ann, 'Ann first');
	check(await bob.locator('#sup-webhooks').isHidden(),
		'no failing webhook said');
	// the node (and the leader: itself) as text, markup and all
	check(await bob.locator('#sup-node-id').textContent() ===
		process.env.NODE_ID, 'the node shown as it is');
	check(await bob.locator('#sup-leader').textContent() ===
		process.env.NODE_ID, 'the leader shown');
	check(await bob.locator('#sup-node b').count() === 0,
		'no markup from the node id');
	await shot(bob, 's1-queue');
	ok('three callbacks wait, each saying why: no phone line');

	// Cy to the front, by keyboard
	await bob.getByRole('button', {name: 'Front: Cy', exact: false})
		.focus();
	await bob.keyboard.press('Enter');
	await bob.waitForFunction((id) => document.querySelector(
		'#queue tbody tr')?.dataset.id === id, cy, {timeout: T});
	await bob.waitForFunction(() => /Moved to the front/.test(
		document.getElementById('notice').textContent), null,
	{timeout: T});
	ok('Front: Cy is first, and the page says so');

	// Ben rescheduled through the dialog
	await bob.getByRole('button', {name: 'Reschedule: Ben', exact: false})
		.click();
	const dlg = bob.locator('#sup-dialog');
	await dlg.waitFor({timeout: T});
	check(await bob.evaluate(() =>
		document.getElementById('sup-dialog').open), 'a modal dialog');
	const tomorrow = new Date(Date.now() + 86400000);
	const pad = (n) => String(n).padStart(2, '0');
	const local = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() +
		1)}-${pad(tomorrow.getDate())}T10:30`;
	await bob.locator('#sup-when').fill(local);
	await shot(bob, 's2-reschedule');
	await bob.locator('#sup-dialog-ok').click();
	await waitRow(bob, ben, 'scheduled', /Scheduled for/, 'Ben scheduled');
	let v = await view(bob);
	const b = v.queue.find((q) => q.id === ben);
	check(new Date(b.scheduled_for).getTime() ===
		new Date(local).getTime(), `Ben at ${b.scheduled_for}`);
	ok(`Reschedule: Ben scheduled for ${b.scheduled_for}, said why`);

	// Ann assigned to alice
	await bob.getByRole('button', {name: 'Assign: Ann', exact: false})
		.click();
	await bob.locator('#sup-assign').selectOption('agent:alice');
	await bob.locator('#sup-dialog-ok').click();
	await bob.waitForFunction(() => /Callback assigned/.test(
		document.getElementById('notice').textContent), null,
	{timeout: T});
	v = await view(bob);
	check(v.queue.find((q) => q.id === ann).assigned === 'agent:alice',
		'Ann assigned to alice');
	check(/for Alice Archer \(assigned\)/.test(await bob.locator(row(ann))
		.textContent()), 'the row says for whom');
	ok('Assign: Ann to alice (agent:alice)');

	// Ben canceled, confirmed in the dialog
	await bob.getByRole('button', {name: 'Cancel: Ben', exact: false})
		.click();
	await bob.locator('#sup-dialog-ok').click();
	await bob.waitForSelector(row(ben), {state: 'detached', timeout: T});
	const pub = await (await fetch(`${URL_}/v1/callbacks/${ben}`)).json();
	check(pub.status === 'canceled', `Ben is ${pub.status}`);
	const pop = await bob.evaluate(async (id) => (await fetch(
		`/agent/api/callbacks/${id}`)).json(), ben);
	const by = pop.callback.events.filter((e) => e.type === 'supervised')
		.map((e) => `${e.data.action}:${e.data.by}`).join(' ');
	check(by === 'reschedule:bob cancel:bob', `Ben's history: ${by}`);
	await shot(bob, 's3-after');
	ok('Cancel: Ben gone from the queue, canceled; history names bob');

	// alice available, set away, then logged out by bob
	const ctxA = await browser.newContext({viewport: {width: 1024,
		height: 800}});
	const alice = await ctxA.newPage();
	watch(alice, 'alice');
	await login(alice, 'alice');
	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	await bob.waitForSelector('#agents tr[data-id=alice]' +
		'[data-state=available]', {timeout: T});
	await bob.getByRole('button', {name: 'Away: Alice', exact: false})
		.click();
	await bob.waitForSelector('#agents tr[data-id=alice][data-state=away]',
		{timeout: T});
	await alice.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	check(/set away by supervisor bob/.test(await bob.locator(
		'#agents tr[data-id=alice]').textContent()), 'the reason shows');
	ok('Away: alice is away, on her desk and in the view, with the reason');

	await bob.getByRole('button', {name: 'Log out: Alice', exact: false})
		.click();
	await bob.waitForSelector('#agents tr[data-id=alice]' +
		'[data-state=offline]', {timeout: T});
	await alice.locator('#login-name').waitFor({state: 'visible',
		timeout: T});
	await shot(alice, 's4-alice-logged-out');
	ok('Log out: alice is offline and her desk shows the log-in form');

	check(!problems.length, problems.join('; '));
	ok('no page error, no console error, no browser dialog');
	writeFileSync(`${ART}/supervise-ids.txt`, `${ann} ${ben} ${cy}\n`);
} finally {
	await browser.close();
}
