// A remote dialer killed mid-call (tests/integration/desk_remote.sh):
// a visitor talks to alice's desk and bob listens from the supervisor
// view; DIALER_PID is killed (SIGKILL) and, once the server gives the
// call up (dialer_resume), every browser side of it is told: the
// visitor's page ends with reason dialer_lost, alice's desk drops the
// call and says why, bob's listen ends and his page says why, and the
// server keeps no listen of bob's (DELETE: 404 not_listening).
//
//   node desk_linkdown.mjs URL MIC_VISITOR MIC_AGENT DIALER_PID
import { launch, ok, check } from './lib.mjs';
import { deskKit, flags, T } from './desk_kit.mjs';

const [base, micVisitor, micAgent, dialerPid] = process.argv.slice(2);
const {status, desk, visitor, ringing, ended, supView, listen, notice} =
	deskKit(base);

const agents = await launch(flags(micAgent));
const visitors = await launch(flags(micVisitor));
try {
	const alice = await desk(agents, 'alice');
	const v = await visitor(visitors);
	await ringing(alice);
	await alice.locator('#phone-answer').click();
	await status(v.id, ['connected']);
	const bob = await supView(agents, 'bob', v.id);
	await listen(bob, v.id);
	ok('a visitor talks to alice\'s desk and bob listens');

	process.kill(Number(dialerPid), 'SIGKILL');
	const cb = await status(v.id, ['scheduled', 'failed']);
	const e = cb.events.find((x) => x.type === 'interrupted');
	check(e && e.data.reason === 'dialer_lost',
		`events: ${JSON.stringify(cb.events)}`);
	await v.page.waitForFunction(() => window.log.includes('ended'),
		null, {timeout: T});
	const why = await v.page.evaluate(() => window.reason);
	check(why === 'dialer_lost', `the visitor's page: ended, ${why}`);
	await ended(alice);
	await notice(alice, /The call ended: the link to the dialer was lost/);
	await notice(bob, /Listening ended: the link to the dialer was lost/);
	await bob.waitForSelector(`#queue tr[data-id="${v.id}"] ` +
		'[data-listen=listening]', {state: 'detached', timeout: T});
	// the server kept no listen: bob's own Stop finds none
	const r = await fetch(`${base}/agent/api/login`, {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({login: 'bob', password: 'demo'})});
	const {csrf} = await r.json();
	const del = await fetch(`${base}/agent/api/supervisor/callbacks/` +
		`${v.id}/listen`, {method: 'DELETE', headers: {'X-CSRF-Token':
		csrf, Cookie: r.headers.get('set-cookie').split(';')[0]}});
	const body = await del.json();
	check(del.status === 404 &&
		body.error.code === 'not_listening',
		`DELETE listen: ${del.status} ${JSON.stringify(body)}`);
	ok(`the dialer killed: the call given up (${cb.status}, ` +
		'interrupted dialer_lost); the visitor\'s page ended ' +
		'(dialer_lost), alice\'s desk dropped the call and bob\'s ' +
		'listen ended, each page saying why; no listen kept');
} finally {
	await agents.close();
	await visitors.close();
}
