// `make run`'s demo, heard end to end with no phone at all
// (tests/integration/make_run_call.sh): alice's desk in one Chromium
// (microphone MIC_AGENT), the demo shop in another (MIC_VISITOR), as a
// newcomer uses them.
//
//   node make_run_call.mjs API DEMO MIC_VISITOR MIC_AGENT OUT_DIR
//
// alice logs in and goes Available (the desk is her phone: the
// microphone, then "this desk (ready)"); on the shop, Call me, then the
// widget's own "Talk now in your browser", the only way it offers (no
// phone line); her desk rings, she presses Answer: connected, both hear
// each other; the visitor presses the widget's Hang up: completed, the
// desk's call gone. OUT_DIR gets desk.wav, visitor.wav (what each page
// heard, 8 kHz) and marks.json (seconds into each where the call was
// seen connected).
import fs from 'node:fs';
import { launch, ok, check, deskLogin, HEAR_PEERS_JS, micFlags, wav }
	from './lib.mjs';

const [API, DEMO, micVisitor, micAgent, outDir] = process.argv.slice(2);
const T = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function status(id, want) {
	const deadline = Date.now() + T;

	for (;;) {
		const cb = await (await fetch(`${API}/v1/callbacks/${id}`))
			.json();
		if (want.includes(cb.status))
			return cb;
		check(Date.now() < deadline, `callback ${id} is ${cb.status}, ` +
			`expected ${want}`);
		await sleep(100);
	}
}

async function page(browser, name) {
	const p = await (await browser.newContext()).newPage();

	p.on('pageerror', (e) => console.error(`${name}: ${e}`));
	await p.addInitScript({content: HEAR_PEERS_JS});
	return p;
}

const agents = await launch(micFlags(micAgent));
const visitors = await launch(micFlags(micVisitor));
try {
	const alice = await page(agents, 'alice');
	await deskLogin(alice, API, 'alice', T);
	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	const words = await alice.locator('#phone-status').textContent();
	check(/this desk \(ready\)/.test(words), `alice: "${words}"`);
	ok(`alice goes Available on the desk: "${words.trim()}"`);

	const shop = await page(visitors, 'shop');
	await shop.goto(DEMO + '/');
	await shop.locator('button.b').click();
	const talk = shop.getByRole('button', {name:
		'Talk now in your browser'});
	await talk.waitFor({timeout: T});
	check(!await shop.locator('#ph').isVisible(),
		'the phone form is offered with no phone line');
	const posted = shop.waitForResponse((r) =>
		r.url().endsWith('/v1/callbacks') &&
		r.request().method() === 'POST', {timeout: T});
	await talk.click();
	const r = await posted;
	check(r.status() === 202, `the widget's POST: ${r.status()}`);
	const id = (await r.json()).id;
	ok('the shop\'s widget offers only "Talk now in your browser"; ' +
		'pressed, it asks for the call (202)');

	await alice.waitForSelector('#phone-call[data-state=ringing]',
		{timeout: T});
	await alice.locator('#phone-answer').click();
	await status(id, ['connected']);
	const marks = {desk: await alice.evaluate(() => window.mark()),
		visitor: await shop.evaluate(() => window.mark())};
	const vst = shop.locator('#vst').last();
	await vst.filter({hasText: /Connected/}).waitFor({timeout: T});
	ok('alice\'s desk rings, she answers: connected, the widget says ' +
		`"${(await vst.textContent()).trim()}"`);

	await sleep(3500);
	await shop.getByRole('button', {name: 'Hang up'}).click();
	const cb = await status(id, ['completed']);
	check(cb.events.at(-1).data.reason === 'customer_hangup',
		`ended: ${JSON.stringify(cb.events.at(-1))}`);
	await alice.waitForSelector('#phone-call', {state: 'hidden',
		timeout: T});
	ok('the visitor hangs up in the widget: completed ' +
		'(customer_hangup), the desk\'s call is gone');

	for (const [name, p] of [['desk', alice], ['visitor', shop]]) {
		const pcm = Buffer.from(await p.evaluate(() => window.take()),
			'base64');
		fs.writeFileSync(`${outDir}/${name}.wav`, wav(pcm, 8000));
	}
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
} finally {
	await agents.close();
	await visitors.close();
}
