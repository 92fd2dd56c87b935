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
//    baresip) answered on the desk, a key pressed on the keypad, held
//    4 s with Hold and resumed, hung up on the desk.
// 4. bob (auto-answer) goes Available too; a visitor calls, alice's
//    desk rings and she closes the tab: the customer goes to bob at
//    once, who answers by himself.
// OUT_DIR gets desk.wav, visitor.wav, marks.json (seconds into them
// where each call was seen connected; moved_ms; hold_s and resume_s:
// seconds before the hang-up of call 3), phone.id, moved.id.
import fs from 'node:fs';
import { launch, ok, check, wav } from './lib.mjs';
import { deskKit, flags, sleep, T } from './desk_kit.mjs';

const [base, micVisitor, micAgent, outDir] = process.argv.slice(2);
const {status, desk, visitor, ringing, ended} = deskKit(base);

const agents = await launch(flags(micAgent));
const visitors = await launch(flags(micVisitor));
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
	// Hold, then Resume: the customer hears the music meanwhile
	await alice.locator('#phone-hold').click();
	await alice.waitForSelector('#phone-call[data-held=yes]',
		{timeout: T});
	const held = Date.now();
	await sleep(4000);
	check(await alice.locator('#phone-hold').textContent() === 'Resume',
		'no Resume button while held');
	await alice.locator('#phone-hold').click();
	await alice.waitForSelector('#phone-call[data-held=no]',
		{timeout: T});
	const resumed = Date.now();
	await sleep(3500);
	const hungup = Date.now();
	await alice.locator('#phone-hangup').click();
	await status(pid, ['completed']);
	// seconds before the end of the customer's call
	marks.hold_s = (hungup - held) / 1000;
	marks.resume_s = (hungup - resumed) / 1000;
	await ended(alice);
	ok('a phone customer answered on the desk, a key pressed, held ' +
		'and resumed, hung up');

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
