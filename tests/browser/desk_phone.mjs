// The desk is the agent's phone (tests/integration/desk_phone.sh): alice
// and bob (endpoint "desk") take calls in the desk page, in a Chromium
// whose microphone is MIC_AGENT; visitors talk from another Chromium
// whose microphone is MIC_VISITOR (lib.mjs's VISITOR_JS). Every page
// keeps what it hears (lib.mjs's HEAR_JS).
//
//   node desk_phone.mjs URL MIC_VISITOR MIC_AGENT OUT_DIR
//
// 1. alice goes Available (the microphone first); a visitor calls; her
//    desk rings, she presses Answer: connected, both hear each other;
//    she hangs up on the desk: completed, agent_hangup.
// 2. a second visitor call, answered; the visitor hangs up.
// 3. a phone customer (+14155550100, through the trunk: the shell's
//    baresip) answered on the desk, a key pressed on the keypad, hung
//    up on the desk.
// 4. bob (auto-answer) goes Available too; a visitor calls, alice's
//    desk rings and she closes the tab: the customer goes to bob at
//    once, who answers by himself.
// OUT_DIR gets desk.wav, visitor.wav, marks.json (seconds into them
// where each call was seen connected; moved_ms), phone.id, moved.id.
import fs from 'node:fs';
import { launch, ok, check, HEAR_PEERS_JS, VISITOR_JS, micFlags, wav }
	from './lib.mjs';

const [base, micVisitor, micAgent, outDir] = process.argv.slice(2);
const T = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function status(id, want) {
	const deadline = Date.now() + T;

	for (;;) {
		const cb = await (await fetch(`${base}/v1/callbacks/${id}`))
			.json();
		if (want.includes(cb.status))
			return cb;
		check(Date.now() < deadline, `callback ${id} is ${cb.status}, ` +
			`expected ${want}`);
		await sleep(100);
	}
}

async function desk(browser, name) {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();

	page.on('pageerror', (e) => console.error(`${name}: ${e}`));
	await page.addInitScript({content: HEAR_PEERS_JS});
	await page.goto(`${base}/agent/`);
	await page.locator('#login-name').fill(name);
	await page.locator('#login-password').fill('demo');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#live[data-live=live]', {timeout: T});
	await page.getByLabel('Available').check();
	await page.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	const words = await page.locator('#phone-status').textContent();
	check(/this desk \(ready\)/.test(words), `${name}: "${words}"`);
	return page;
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

const agents = await launch(micFlags(micAgent));
const visitors = await launch(micFlags(micVisitor));
const marks = {};
try {
	// 1. the visitor <-> alice's desk, both ways; alice hangs up
	const alice = await desk(agents, 'alice');
	ok('alice goes Available: the microphone, then "Your phone: this ' +
		'desk (ready)"');

	let v = await visitor(visitors);
	await ringing(alice);
	check(await alice.locator('#phone-answer').isVisible(),
		'no Answer button');
	ok('the call rings on alice\'s desk with an Answer button');
	await alice.locator('#phone-answer').click();
	await status(v.id, ['connected']);
	marks.desk_a = await alice.evaluate(() => window.mark());
	marks.visitor_a = await v.page.evaluate(() => window.mark());
	await sleep(3500);
	await alice.locator('#phone-hangup').click();
	let cb = await status(v.id, ['completed']);
	check(cb.events.at(-1).data.reason === 'agent_hangup',
		`ended: ${JSON.stringify(cb.events.at(-1))}`);
	await v.page.waitForFunction(() => window.log.includes('ended'),
		null, {timeout: T});
	const heard = Buffer.from(await v.page.evaluate(() => window.take()),
		'base64');
	fs.writeFileSync(`${outDir}/visitor.wav`, wav(heard, 8000));
	await v.page.close();
	ok('answered: connected; Hang up on the desk ends both ' +
		'(agent_hangup, the visitor told "ended")');

	// 2. the visitor hangs up
	v = await visitor(visitors);
	await ringing(alice);
	await alice.locator('#phone-answer').click();
	await status(v.id, ['connected']);
	await v.page.evaluate(() => window.hangup());
	cb = await status(v.id, ['completed']);
	check(cb.events.at(-1).data.reason === 'customer_hangup',
		`ended: ${JSON.stringify(cb.events.at(-1))}`);
	await ended(alice);
	await v.page.close();
	ok('the visitor hangs up: completed (customer_hangup), the desk\'s ' +
		'call is gone');

	// 3. a phone customer through the trunk
	const r = await fetch(`${base}/v1/callbacks`, {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo',
			phone: '+14155550100'})});
	check(r.status === 202, `POST a phone callback: ${r.status}`);
	const pid = (await r.json()).id;
	fs.writeFileSync(`${outDir}/phone.id`, pid);
	await ringing(alice);
	await alice.locator('#phone-answer').click();
	await status(pid, ['connected']);
	marks.desk_b = await alice.evaluate(() => window.mark());
	await alice.locator('#phone-keypad button[data-key="5"]').click();
	await sleep(3500);
	await alice.locator('#phone-hangup').click();
	await status(pid, ['completed']);
	await ended(alice);
	ok('a phone customer answered on the desk, a key pressed, hung up');

	const pcm = Buffer.from(await alice.evaluate(() => window.take()),
		'base64');
	fs.writeFileSync(`${outDir}/desk.wav`, wav(pcm, 8000));

	// 4. alice's desk closes while the customer holds: bob at once
	const bob = await desk(agents, 'bob');
	v = await visitor(visitors);
	await ringing(alice);
	const closed = Date.now();
	await alice.close();
	cb = await status(v.id, ['connected']);
	const took = Date.now() - closed;
	marks.moved_ms = took;
	await v.page.evaluate(() => window.hangup());
	await status(v.id, ['completed']);
	await ended(bob);
	fs.writeFileSync(`${outDir}/moved.id`, v.id);
	ok(`alice's desk closed while it rang: the customer connected to ` +
		`bob (auto-answer) ${took} ms later`);
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
} finally {
	await agents.close();
	await visitors.close();
}
