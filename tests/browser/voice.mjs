// A visitor talks in the browser through beckon serve's own signalling
// (tests/integration/serve_webrtc.sh): a page on beckon's origin posts
// {"voice":"browser"}, opens /v1/callbacks/ID/voice with the secret the
// answer carried, answers the offer pushed there with its fake
// microphone and keeps what it hears (as tests/browser/webrtc.mjs). Once
// the callback is connected, a stranger who knows the id tries the
// socket (a wrong secret, no secret: 401; the right one while the page
// holds it: 409), then the tab is closed mid-call.
//
//   node voice.mjs URL MIC_WAV OUT_DIR
//
// OUT_DIR gets heard.wav, marks.json (seconds into heard.wav when the
// callback was seen connected, the page's inbound RTP statistics), id
// (the callback's) and ice.json (the offer's ice_servers, and the
// RTCPeerConnection's configuration made from them).
import fs from 'node:fs';
import http from 'node:http';
import { launch, ok, check, VISITOR_JS, wav } from './lib.mjs';

const [base, micWav, outDir] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));



// the callback's public status, polled until it is one of want (20 s)
async function status(id, want) {
	const deadline = Date.now() + 20000;
	let cb;

	for (;;) {
		cb = await (await fetch(`${base}/v1/callbacks/${id}`)).json();
		if (want.includes(cb.status))
			return cb;
		check(Date.now() < deadline, `callback ${id} is ${cb.status}, ` +
			`expected ${want}`);
		await sleep(100);
	}
}

// a WebSocket upgrade for the voice socket: the HTTP status it gets
function upgrade(path) {
	return new Promise((resolve, reject) => {
		const rq = http.get(`${base}${path}`, {headers: {
			Connection: 'Upgrade', Upgrade: 'websocket',
			'Sec-WebSocket-Version': '13',
			'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
			Origin: base}});
		rq.on('response', (res) => {
			res.resume();
			resolve(res.statusCode);
		});
		rq.on('upgrade', (res, sock) => {
			sock.destroy();
			resolve(res.statusCode);
		});
		rq.on('error', reject);
	});
}

const browser = await launch([
	'--use-fake-ui-for-media-stream',
	'--use-fake-device-for-media-stream',
	`--use-file-for-fake-audio-capture=${micWav}`,
	'--allow-loopback-in-peer-connection',
	'--disable-features=WebRtcHideLocalIpsWithMdns',
	'--autoplay-policy=no-user-gesture-required',
]);
try {
	const page = await browser.newPage();
	page.on('pageerror', (e) => console.error(`page: ${e}`));
	await page.goto(`${base}/healthz`);
	await page.addScriptTag({content: VISITOR_JS});

	const cb = await page.evaluate(() => window.talk());
	check(cb.id && cb.voice_secret && cb.cancel_token, 'the answer: ' +
		JSON.stringify(cb));
	fs.writeFileSync(`${outDir}/id`, cb.id);
	ok('POST voice browser: 202 with a voice_secret; the socket opens');

	await status(cb.id, ['connected']);
	const marks = {connected: await page.evaluate(() => window.mark())};
	check((await page.evaluate(() => window.log)).includes('offer'),
		'no offer on the socket');
	ok('the offer came over the socket, the answer went back: connected');

	const voice = `/v1/callbacks/${cb.id}/voice`;
	const wrong = 'A'.repeat(cb.voice_secret.length);
	check(await upgrade(`${voice}?secret=${wrong}`) === 401,
		'a wrong secret is not refused');
	check(await upgrade(voice) === 401, 'no secret is not refused');
	check(await upgrade(`${voice}?secret=${cb.cancel_token}`) === 401,
		'the cancel token opens the voice socket');
	check(await upgrade(`${voice}?secret=${cb.voice_secret}`) === 409,
		'a second socket with the secret is not refused');
	ok('a stranger with the id: 401 (wrong secret, none, the cancel ' +
		'token); a second socket with the secret: 409');

	await sleep(4000);
	marks.stats = await page.evaluate(() => window.stats());
	const pcm = Buffer.from(await page.evaluate(() => window.take()),
		'base64');
	fs.writeFileSync(`${outDir}/heard.wav`, wav(pcm, 8000));
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
	fs.writeFileSync(`${outDir}/ice.json`, JSON.stringify(
		await page.evaluate(() => ({offered: window.ice,
			used: window.iceConfig}))));

	const closed = Date.now();
	await page.close();
	const end = await status(cb.id, ['completed', 'abandoned',
		'failed']);
	const ended = end.events.at(-1);
	check(end.status === 'completed' && ended.type === 'ended' &&
		ended.data.reason === 'customer_hangup',
		`after the tab closed: ${end.status} ${JSON.stringify(ended)}`);
	ok(`the tab closed mid-call: completed, customer_hangup (${
		Date.now() - closed} ms)`);
	check(await upgrade(`${voice}?secret=${cb.voice_secret}`) === 401,
		'the secret still opens a socket after the call');
	ok('after the call, the secret opens nothing');
} finally {
	await browser.close();
}
