// A browser on a webrtc leg of the dialer (tests/integration/
// dialer_webrtc.sh): this script is the controller (the call-control
// protocol over TCP, docs/call-control.md) and relays the offer and the
// answer between the dialer and a page in headless Chromium, whose
// microphone is a WAV file. The page answers with an RTCPeerConnection
// and keeps what it receives (MediaStreamTrackProcessor), written out as
// an 8 kHz WAV for tests/sipp/lib/tones.py.
//
//   node webrtc.mjs CTL_PORT SECRET MIC_WAV OUT_DIR AGENT
//
// The call: customer webrtc:v1 (this page), customer first; answered,
// 3 s of the hold prompt, offer_agent AGENT, bridged, 4 s of talk, then
// the page hangs up (webrtc_hangup). OUT_DIR gets ctl.json (every line
// from the dialer), heard.wav, and marks.json (seconds into heard.wav of
// "answered" and "bridged", and the page's inbound RTP statistics).
import fs from 'node:fs';
import net from 'node:net';
import { launch, ok, check, HEAR_JS, wav } from './lib.mjs';

const [ctlPort, secret, micWav, outDir, agent] = process.argv.slice(2);
const T = 20000;
const ID = 'web1';

// ---- the call-control client
const lines = [];
let waiters = [];
const sock = net.connect(Number(ctlPort), '127.0.0.1');
const log = fs.createWriteStream(`${outDir}/ctl.json`);
let rx = '';

sock.setEncoding('utf8');
sock.on('data', (d) => {
	rx += d;
	let i;
	while ((i = rx.indexOf('\n')) >= 0) {
		const line = rx.slice(0, i);

		rx = rx.slice(i + 1);
		log.write(line + '\n');
		lines.push(JSON.parse(line));
		waiters.forEach((w) => w());
	}
});

function send(obj) {
	sock.write(JSON.stringify(obj) + '\n');
}

// the next line (from where the last expect stopped) with these fields
let seen = 0;
async function expect(event, fields = {}) {
	const match = (ev) => ev.event === event &&
		Object.entries(fields).every(([k, v]) => ev[k] === v);
	const deadline = Date.now() + T;

	for (;;) {
		while (seen < lines.length) {
			const ev = lines[seen++];

			if (match(ev))
				return ev;
			if (ev.event === 'error')
				throw new Error(`FAIL: ${JSON.stringify(ev)}`);
		}
		if (Date.now() > deadline)
			throw new Error(`FAIL: no ${event} ${
				JSON.stringify(fields)} (last: ${
				JSON.stringify(lines.at(-1))})`);
		await new Promise((r) => {
			const t = setTimeout(r, deadline - Date.now());

			waiters.push(() => {
				clearTimeout(t);
				r();
			});
		});
		waiters = [];
	}
}

// ---- the page: answers an offer, keeps what it hears
const PAGE = `<!doctype html><title>webrtc leg</title><audio id=a muted>
</audio><script>
let pc;
${HEAR_JS}

window.answer = async (sdp) => {
	const mic = await navigator.mediaDevices.getUserMedia({audio: true});
	pc = new RTCPeerConnection({iceServers: []});
	pc.ontrack = (e) => {
		document.getElementById('a').srcObject =
			new MediaStream([e.track]);
		keep(e.track);
	};
	await pc.setRemoteDescription({type: 'offer', sdp});
	const tr = pc.getTransceivers()[0];
	tr.direction = 'sendrecv';
	await tr.sender.replaceTrack(mic.getAudioTracks()[0]);
	await pc.setLocalDescription(await pc.createAnswer());
	if (pc.iceGatheringState !== 'complete')
		await new Promise((r) => pc.addEventListener(
			'icegatheringstatechange', () =>
				pc.iceGatheringState === 'complete' && r()));
	return pc.localDescription.sdp;
};

// seconds of audio kept so far
window.mark = () => rate ? n / rate : 0;

window.stats = async () => {
	let s = {};
	(await pc.getStats()).forEach((r) => {
		if (r.type === 'inbound-rtp' && r.kind === 'audio')
			s = {packetsReceived: r.packetsReceived,
			     bytesReceived: r.bytesReceived,
			     totalAudioEnergy: r.totalAudioEnergy};
	});
	s.connectionState = pc.connectionState;
	return s;
};

window.hangup = () => pc.close();

</script>`;


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
	// a loopback http origin is a secure context (getUserMedia); the
	// page never leaves this process
	await page.route('http://127.0.0.1/webrtc.html', (r) => r.fulfill({
		contentType: 'text/html', body: PAGE}));
	await page.goto('http://127.0.0.1/webrtc.html');

	await expect('hello');
	send({cmd: 'auth', secret});
	await expect('ok', {cmd: 'auth'});
	send({cmd: 'originate', id: ID, customer: 'webrtc:v1'});
	await expect('ok', {cmd: 'originate'});
	const offer = await expect('webrtc_offer', {leg: 'customer'});
	check(offer.endpoint === 'webrtc:v1', `endpoint ${offer.endpoint}`);
	await expect('ringing', {leg: 'customer'});
	ok('webrtc_offer for webrtc:v1, then ringing');

	const answer = await page.evaluate((s) => window.answer(s),
		offer.sdp);
	send({cmd: 'webrtc_answer', id: ID, leg: 'customer', sdp: answer});
	await expect('ok', {cmd: 'webrtc_answer'});
	await expect('answered', {leg: 'customer'});
	const marks = {answered: await page.evaluate(() => window.mark())};
	ok('the page\'s answer through webrtc_answer: the leg is answered');

	await sleep(3000);
	send({cmd: 'offer_agent', id: ID, agent});
	await expect('ok', {cmd: 'offer_agent'});
	await expect('bridged');
	marks.bridged = await page.evaluate(() => window.mark());
	ok(`offer_agent ${agent}: bridged`);

	await sleep(4000);
	marks.stats = await page.evaluate(() => window.stats());
	await page.evaluate(() => window.hangup());
	send({cmd: 'webrtc_hangup', id: ID, leg: 'customer',
		reason: 'hangup'});
	await expect('ok', {cmd: 'webrtc_hangup'});
	await expect('ended');
	ok('the page hangs up: webrtc_hangup, the call ends');

	const pcm = Buffer.from(await page.evaluate(() => window.take()),
		'base64');
	fs.writeFileSync(`${outDir}/heard.wav`, wav(pcm, 8000));
	fs.writeFileSync(`${outDir}/marks.json`, JSON.stringify(marks));
} finally {
	await browser.close();
	sock.destroy();
	log.end();
}
