// The desk as a phone with the dialer in another process
// (tests/integration/desk_remote.sh): the webrtc legs' offers, answers
// and hang-ups cross the call-control protocol between beckon serve and
// beckon dialer. alice's desk (microphone MIC_AGENT) goes Available, a
// visitor (MIC_VISITOR) calls, the desk rings and answers, both hear
// each other; bob (supervisor, a page of the agents' Chromium) listens
// from the supervisor view and hears both, Stop ends his listen, a
// listen again is ended by alice hanging up on the desk. Then the
// desk's own cases:
// - the microphone refused (a Chromium that grants nothing by itself):
//   Available says why and is not asked of the server;
// - the page reloaded while a call rings on it: the server cannot tell
//   a reload from a closed tab, so the call ends for this desk at once
//   (desk lost: alice away with the reason, the customer offered on);
//   the reloaded page shows no stale call, says why she is away, and
//   goes Available again; the visitor's page, still there, is kept:
//   the call goes back to the queue and the same page talks to alice
//   when she is Available again.
// - a listen the dialer refuses: the dialer paused (SIGSTOP DIALER_PID),
//   the visitor hangs up and bob asks to listen (SERVER_LOG says both
//   went to the dialer); resumed, the dialer ends the call, then
//   refuses the listen: bob's page says why.
//
//   node desk_remote.mjs URL MIC_VISITOR MIC_AGENT OUT_DIR DIALER_PID \
//	SERVER_LOG
//
// OUT_DIR gets desk.wav, visitor.wav, sup.wav and marks.json (the first
// call's id; seconds into the files where the call was seen connected,
// and bob listening).
import fs from 'node:fs';
import { launch, ok, check, wav } from './lib.mjs';
import { deskKit, flags, sleep, T } from './desk_kit.mjs';

const [base, micVisitor, micAgent, outDir, dialerPid, serverLog] =
	process.argv.slice(2);
const {status, login, desk, visitor, ringing, ended, supView, listen,
	listenStop, notice} = deskKit(base);

// the server's log has a line with words
async function logged(words) {
	const deadline = Date.now() + T;

	while (!fs.readFileSync(serverLog, 'utf8').includes(words)) {
		check(Date.now() < deadline, `the server did not log "${words}"`);
		await sleep(50);
	}
}

const agents = await launch(flags(micAgent));
const visitors = await launch(flags(micVisitor));
try {
	const alice = await desk(agents, 'alice');
	ok('alice goes Available with the desk as her phone (remote dialer)');

	const v = await visitor(visitors);
	await ringing(alice);
	await alice.locator('#phone-answer').click();
	await status(v.id, ['connected']);
	const marks = {
		id: v.id,
		desk: await alice.evaluate(() => window.mark()),
		visitor: await v.page.evaluate(() => window.mark()),
	};
	// bob listens, through the dialer's listener leg; Stop
	const bob = await supView(agents, 'bob', v.id);
	await listen(bob, v.id);
	marks.sup = await bob.evaluate(() => window.mark());
	await sleep(3500);
	await listenStop(bob, v.id);
	fs.writeFileSync(`${outDir}/sup.wav`, wav(Buffer.from(
		await bob.evaluate(() => window.take()), 'base64'), 8000));
	ok('bob listens to the call from the supervisor view; Stop: the ' +
		'Listen button is back');

	// listening again, the call's end ends it
	await listen(bob, v.id);
	await alice.locator('#phone-hangup').click();
	await notice(bob, /Listening ended: the agent hung up/);
	// his page holds a microphone: his desk would be a phone
	await bob.context().close();
	const cb = await status(v.id, ['completed']);
	check(cb.events.at(-1).data.reason === 'agent_hangup',
		`ended: ${JSON.stringify(cb.events.at(-1))}`);
	await v.page.waitForFunction(() => window.log.includes('ended'),
		null, {timeout: T});
	ok('the visitor\'s call rang on the desk, was answered, and Hang up ' +
		'on the desk ended it (agent_hangup) and bob\'s listen again ' +
		'(his page: "the agent hung up")');

	fs.writeFileSync(`${outDir}/visitor.wav`, wav(Buffer.from(
		await v.page.evaluate(() => window.take()), 'base64'), 8000));
	fs.writeFileSync(`${outDir}/desk.wav`, wav(Buffer.from(
		await alice.evaluate(() => window.take()), 'base64'), 8000));
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));

	// the microphone refused
	const denied = await launch(flags(micAgent, false));
	try {
		const p = await login(denied, 'bob');
		// a click: the radio does not stay checked
		await p.getByLabel('Available').click();
		await p.waitForSelector('#notice:not([hidden])', {timeout: T});
		const words = await p.locator('#notice').textContent();
		check(/microphone was refused/.test(words), `notice: ${words}`);
		const me = await p.evaluate(async () => (await (await fetch(
			'/agent/api/me')).json()).agent);
		check(me.state === 'offline' && !me.phone_reachable,
			`bob: ${me.state}, reachable ${me.phone_reachable}`);
		check(/not ready: allow the microphone/.test(await p.locator(
			'#phone-status').textContent()), 'the phone status');
		ok(`the microphone refused: "${words}", bob stays offline`);
	} finally {
		await denied.close();
	}

	// a reload while a call rings
	const v2 = await visitor(visitors);
	await ringing(alice);
	await alice.reload();
	await alice.waitForSelector('#live[data-live=live]', {timeout: T});
	await alice.waitForSelector('#state-badge[data-state=away]',
		{timeout: T});
	await ended(alice);
	const note = await alice.locator('#phone-note').textContent();
	check(/your desk phone was lost/.test(note), `note: ${note}`);
	// with nobody else working the held customer is let go at once
	// (no_agent); its page still on its voice socket, the call goes
	// back to the queue (requeued, no attempt spent) instead of
	// failing; with the dialer in process the agent leg's end comes
	// first and is recorded too (desk_phone.sh)
	const cb2 = await status(v2.id, ['queued']);
	const last = cb2.events.at(-1);
	check(last.type === 'requeued' && last.data.reason === 'no_agent',
		`events: ${JSON.stringify(cb2.events)}`);
	await v2.page.waitForFunction(() => window.log.includes('requeued'),
		null, {timeout: T});
	check(!(await v2.page.evaluate(() => window.log)).includes('ended'),
		'the visitor was told the call ended');
	await alice.getByLabel('Available').check();
	await alice.waitForSelector('#state-badge[data-state=available]',
		{timeout: T});
	ok('the desk reloaded while a call rang: alice away (desk lost), ' +
		'the customer let go (no_agent, nobody else) and, the ' +
		'visitor\'s page still there, back in the queue (requeued); ' +
		'the reloaded page rings nothing, says why, goes Available');

	// the next agent (alice again) takes the same page's call
	await ringing(alice);
	await alice.locator('#phone-answer').click();
	await status(v2.id, ['connected']);
	const heard = await v2.page.evaluate(() => window.mark());
	const bob2 = await supView(agents, 'bob', v2.id);
	// the visitor's hang-up reaches the dialer before bob's listen
	process.kill(Number(dialerPid), 'SIGSTOP');
	try {
		await v2.page.evaluate(() => window.hangup());
		await logged(`${v2.id}: the visitor's page: hang-up`);
		await bob2.locator(`#queue tr[data-id="${v2.id}"] ` +
			'button[data-action=listen]').click();
		await logged(`${v2.id}: bob listens`);
	} finally {
		process.kill(Number(dialerPid), 'SIGCONT');
	}
	await notice(bob2, /Listening ended: the call is no longer connected/);
	const cb3 = await status(v2.id, ['completed']);
	check(cb3.events.at(-1).data.reason === 'customer_hangup',
		`ended: ${JSON.stringify(cb3.events.at(-1))}`);
	await ended(alice);
	await v2.page.close();
	ok('the requeued call rings on alice once Available; the same ' +
		`page answers the new offer: connected (${heard.toFixed(1)} ` +
		's of audio heard), the visitor hangs up: completed; bob\'s ' +
		'listen that reached the dialer after the hang-up is refused ' +
		'and his page says "the call is no longer connected"');
} finally {
	await agents.close();
	await visitors.close();
}
