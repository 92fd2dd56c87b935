// The desk as a phone with the dialer in another process
// (tests/integration/desk_remote.sh): the webrtc legs' offers, answers
// and hang-ups cross the call-control protocol between beckon serve and
// beckon dialer. alice's desk (microphone MIC_AGENT) goes Available, a
// visitor (MIC_VISITOR) calls, the desk rings and answers, both hear
// each other, alice hangs up on the desk.
//
//   node desk_remote.mjs URL MIC_VISITOR MIC_AGENT OUT_DIR
//
// OUT_DIR gets desk.wav, visitor.wav and marks.json (seconds into them
// where the call was seen connected).
import fs from 'node:fs';
import { launch, ok, check, wav } from './lib.mjs';
import { deskKit, flags, sleep, T } from './desk_kit.mjs';

const [base, micVisitor, micAgent, outDir] = process.argv.slice(2);
const {status, desk, visitor, ringing} = deskKit(base);

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
		desk: await alice.evaluate(() => window.mark()),
		visitor: await v.page.evaluate(() => window.mark()),
	};
	await sleep(3500);
	await alice.locator('#phone-hangup').click();
	const cb = await status(v.id, ['completed']);
	check(cb.events.at(-1).data.reason === 'agent_hangup',
		`ended: ${JSON.stringify(cb.events.at(-1))}`);
	await v.page.waitForFunction(() => window.log.includes('ended'),
		null, {timeout: T});
	ok('the visitor\'s call rang on the desk, was answered, and Hang up ' +
		'on the desk ended it (agent_hangup)');

	fs.writeFileSync(`${outDir}/visitor.wav`, wav(Buffer.from(
		await v.page.evaluate(() => window.take()), 'base64'), 8000));
	fs.writeFileSync(`${outDir}/desk.wav`, wav(Buffer.from(
		await alice.evaluate(() => window.take()), 'base64'), 8000));
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
} finally {
	await agents.close();
	await visitors.close();
}
