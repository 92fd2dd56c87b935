// A supervisor listens to a call (tests/integration/supervisor_listen.sh):
// alice takes a phone customer's call on her desk (auto-answer, her
// microphone MIC_AGENT), bob (supervisor) listens from the supervisor
// view in another Chromium whose microphone is MIC_SUP. Every page keeps
// what it hears (lib.mjs's HEAR_PEERS_JS).
//
//   node listen.mjs URL MIC_AGENT MIC_SUP OUT_DIR
//
// 1. Listen, 4 s (a second listen meanwhile: 409 listening), Stop
//    (listen_stop): the button comes back.
// 2. Listen again, then bob's page closes (the page goes).
// 3. Listen from a new page; alice hangs up: the page says why it ended.
// OUT_DIR gets sup.wav (bob's first page), desk.wav (alice), marks.json
// (sup_l1, desk_l1: seconds into each file when bob was listening; l3_s:
// seconds from the third listen to the hang-up), phone.id.
import fs from 'node:fs';
import { launch, ok, check, wav } from './lib.mjs';
import { deskKit, flags, sleep, T } from './desk_kit.mjs';

const [base, micAgent, micSup, outDir] = process.argv.slice(2);
const {status, login, desk} = deskKit(base);

const agents = await launch(flags(micAgent));
const sups = await launch(flags(micSup));
const marks = {};

// bob's supervisor view, logged in, the call's row shown
async function supView(id) {
	const page = await login(sups, 'bob');

	await page.locator('#view-sup').click();
	await page.waitForSelector(`#queue tr[data-id="${id}"]` +
		'[data-status=connected] button[data-action=listen]',
		{timeout: T});
	return page;
}

async function listen(page, id) {
	await page.locator(`#queue tr[data-id="${id}"] ` +
		'button[data-action=listen]').click();
	await page.waitForSelector(`#queue tr[data-id="${id}"] ` +
		'[data-listen=listening]', {timeout: T});
}

try {
	const alice = await desk(agents, 'alice');
	const r = await fetch(`${base}/v1/callbacks`, {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo',
			phone: '+14155550100'})});
	check(r.status === 202, `POST a phone callback: ${r.status}`);
	const id = (await r.json()).id;
	fs.writeFileSync(`${outDir}/phone.id`, id);
	await status(id, ['connected']);
	ok('a phone customer is connected to alice\'s desk (auto-answer)');

	// 1. Listen, Stop
	let bob = await supView(id);
	await listen(bob, id);
	marks.sup_l1 = await bob.evaluate(() => window.mark());
	marks.desk_l1 = await alice.evaluate(() => window.mark());
	const again = await bob.evaluate(async (cb) => {
		const me = await (await fetch('/agent/api/me')).json();
		const r = await fetch(`/agent/api/supervisor/callbacks/${cb}/` +
			'listen', {method: 'POST', body: '{}', headers: {
			'Content-Type': 'application/json',
			'X-CSRF-Token': me.csrf}});
		return {status: r.status, body: await r.json()};
	}, id);
	check(again.status === 409 && again.body.error.code === 'listening',
		`a second listen: ${JSON.stringify(again)}`);
	await sleep(3700);
	await bob.locator(`#queue tr[data-id="${id}"] ` +
		'button[data-action=listen-stop]').click();
	await bob.waitForSelector(`#queue tr[data-id="${id}"] ` +
		'button[data-action=listen]', {timeout: T});
	await sleep(300);
	fs.writeFileSync(`${outDir}/sup.wav`, wav(Buffer.from(
		await bob.evaluate(() => window.take()), 'base64'), 8000));
	ok('Listen: bob\'s page is listening; Stop: the Listen button is ' +
		'back');

	// 2. the page goes while listening
	await listen(bob, id);
	await bob.context().close();
	ok('listening again, then bob\'s page closed');

	// 3. the call ends while listening: the page says so
	bob = await supView(id);
	await listen(bob, id);
	const l3 = Date.now();
	await sleep(2500);
	marks.l3_s = (Date.now() - l3) / 1000;
	await alice.locator('#phone-hangup').click();
	await status(id, ['completed']);
	await bob.waitForFunction(() => /Listening ended: the agent hung up/
		.test(document.getElementById('notice').textContent), null,
	{timeout: T});
	ok('alice hangs up while bob listens: bob\'s page says "Listening ' +
		'ended: the agent hung up."');

	fs.writeFileSync(`${outDir}/desk.wav`, wav(Buffer.from(
		await alice.evaluate(() => window.take()), 'base64'), 8000));
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
} finally {
	await agents.close();
	await sups.close();
}
