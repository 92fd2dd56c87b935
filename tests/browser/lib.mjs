// Shared by the browser tests: launch Debian's Chromium headless through
// playwright-core, with the flags this machine needs, and check helpers.
import { chromium } from 'playwright-core';

// extra: more Chromium flags (a test's fake microphone, WebRTC's)
export async function launch(extra = []) {
	return chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		       '--disable-background-networking', ...extra],
	});
}

let n = 0;
export function ok(msg) {
	n++;
	console.log(`ok ${n} - ${msg}`);
}

export function check(cond, msg) {
	if (!cond)
		throw new Error(`FAIL: ${msg}`);
}

// Collect in problems what must not happen on a page: a dialog, an
// uncaught error, a console error (other than a failed resource load
// or one that ignore, a RegExp, matches).
export function watchPage(page, who, problems, ignore = null) {
	page.on('dialog', (d) => {
		problems.push(`${who}: a dialog opened: ${d.message()}`);
		d.dismiss().catch(() => {});
	});
	page.on('pageerror', (e) => problems.push(`${who}: page error: ${e}`));
	page.on('console', (m) => {
		if (m.type() === 'error' &&
		    !/Failed to load resource/.test(m.text()) &&
		    !(ignore && ignore.test(m.text())))
			problems.push(`${who}: console error: ${m.text()}`);
	});
}

// a full-page screenshot dir/name.png
export async function shot(page, dir, name) {
	await page.screenshot({path: `${dir}/${name}.png`, fullPage: true});
}

export async function text(page, sel) {
	return (await page.locator(sel).textContent()) || '';
}

// wait until sel's text matches re; fail saying what and what it is
export async function waitText(page, sel, re, what, timeout) {
	try {
		await page.waitForFunction(([s, src]) => {
			const el = document.querySelector(s);

			return el && new RegExp(src).test(el.textContent);
		}, [sel, re.source], {timeout});
	} catch {
		throw new Error(`FAIL: ${what}: ${sel} is "${await text(page,
			sel).catch(() => '?')}", expected ${re}`);
	}
}

// Log in to the agent desk at url as name (the demo password), with the
// keyboard only: the field has focus, Tab, Enter; then the live channel.
export async function deskLogin(page, url, name, timeout) {
	await page.goto(`${url}/agent/`);
	await page.locator('#login-name').waitFor({timeout});
	await page.waitForFunction(() => document.activeElement &&
		document.activeElement.id === 'login-name', null, {timeout});
	await page.keyboard.type(name);
	await page.keyboard.press('Tab');
	await page.keyboard.type('demo');
	await page.keyboard.press('Enter');
	await page.locator('#presence').waitFor({timeout});
	await page.waitForSelector('#live[data-live=live]', {timeout});
}

// In a page: what a remote audio track brings, kept (keep(track)) and
// handed over as 8 kHz 16-bit little-endian PCM in base64 (take()).
export const HEAR_JS = `
let heard = [], rate = 0, n = 0;

async function keep(track) {
	const reader = new MediaStreamTrackProcessor({track}).readable
		.getReader();
	for (;;) {
		const {value, done} = await reader.read();
		if (done)
			return;
		const buf = new Float32Array(value.numberOfFrames);
		value.copyTo(buf, {planeIndex: 0, format: 'f32-planar'});
		rate = value.sampleRate;
		value.close();
		heard.push(buf);
		n += buf.length;
	}
}

window.take = () => {
	const step = Math.max(1, Math.round(rate / 8000));
	const all = new Float32Array(n);
	let o = 0;
	for (const b of heard) {
		all.set(b, o);
		o += b.length;
	}
	const out = new Int16Array(Math.floor(n / step));
	for (let i = 0; i < out.length; i++)
		out[i] = Math.max(-1, Math.min(1, all[i * step])) * 32767;
	let bin = '';
	const bytes = new Uint8Array(out.buffer);
	for (let i = 0; i < bytes.length; i++)
		bin += String.fromCharCode(bytes[i]);
	return btoa(bin);
};
`;

// Chromium's flags for a page with a fake microphone playing the WAV
// file mic (granted without asking unless fakeUi is false: then the
// page's context decides), and WebRTC on loopback
export const micFlags = (mic, fakeUi = true) => [
	...(fakeUi ? ['--use-fake-ui-for-media-stream'] : []),
	'--use-fake-device-for-media-stream',
	`--use-file-for-fake-audio-capture=${mic}`,
	'--allow-loopback-in-peer-connection',
	'--disable-features=WebRtcHideLocalIpsWithMdns',
	'--autoplay-policy=no-user-gesture-required'];

// An init script: every peer connection a page's own code makes keeps
// what it hears (HEAR_JS's take()); mark(): seconds heard so far
export const HEAR_PEERS_JS = `${HEAR_JS}
window.mark = () => rate ? n / rate : 0;
{
	const Orig = window.RTCPeerConnection;
	window.RTCPeerConnection = class extends Orig {
		constructor(c) {
			super(c);
			this.addEventListener('track', (e) => keep(e.track));
		}
	};
}`;

// a mono 16-bit WAV file around pcm (Int16 little-endian bytes)
export function wav(pcm, rate) {
	const h = Buffer.alloc(44);

	h.write('RIFF', 0);
	h.writeUInt32LE(36 + pcm.length, 4);
	h.write('WAVEfmt ', 8);
	h.writeUInt32LE(16, 16);
	h.writeUInt16LE(1, 20);
	h.writeUInt16LE(1, 22);
	h.writeUInt32LE(rate, 24);
	h.writeUInt32LE(rate * 2, 28);
	h.writeUInt16LE(2, 32);
	h.writeUInt16LE(16, 34);
	h.write('data', 36);
	h.writeUInt32LE(pcm.length, 40);
	return Buffer.concat([h, pcm]);
}

// A visitor who talks in the browser (talk(): POST voice browser for the
// demo business, the voice socket, the offer answered with the fake
// microphone; mark(), stats(), take(), hangup()), run in a page of
// beckon's own (a real load from loopback: Chromium's
// local network access checks refuse a WebSocket from a page a test
// made up)
export const VISITOR_JS = `
let pc, ws;
${HEAR_JS}
window.log = [];

async function answer(sdp, ice) {
	const mic = await navigator.mediaDevices.getUserMedia({audio: true});
	// the servers the offer carried, as the widget takes them (a TURN
	// entry without credentials would throw here)
	window.ice = ice;
	pc = new RTCPeerConnection({iceServers: ice || []});
	window.iceConfig = pc.getConfiguration().iceServers;
	pc.ontrack = (e) => {
		// a remote track is decoded only with a sink
		const a = document.body.appendChild(
			document.createElement('audio'));
		a.muted = true;
		a.srcObject = new MediaStream([e.track]);
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
	ws.send(JSON.stringify({type: 'answer',
		sdp: pc.localDescription.sdp}));
}

window.talk = async () => {
	const r = await fetch('/v1/callbacks', {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({business: 'demo', voice: 'browser'})});
	const cb = await r.json();
	if (r.status !== 202)
		throw new Error('POST ' + r.status + ' ' + JSON.stringify(cb));
	ws = new WebSocket('ws://' + location.host + '/v1/callbacks/' +
		cb.id + '/voice?secret=' + cb.voice_secret);
	ws.onmessage = (e) => {
		const m = JSON.parse(e.data);
		window.log.push(m.type);
		if (m.reason)
			window.reason = m.reason;
		if (m.type === 'offer')
			answer(m.sdp, m.ice_servers);
		// back in the queue: the next offer is a new connection
		if (m.type === 'requeued' && pc) {
			pc.close();
			pc = undefined;
		}
	};
	await new Promise((ok, ko) => {
		ws.onopen = ok;
		ws.onclose = (e) => ko(new Error('the voice socket closed: ' +
			e.code));
	});
	return cb;
};

window.mark = () => rate ? n / rate : 0;

window.hangup = () => ws.send(JSON.stringify({type: 'hangup'}));

window.stats = async () => {
	let s = {};
	(await pc.getStats()).forEach((r) => {
		if (r.type === 'inbound-rtp' && r.kind === 'audio')
			s = {packetsReceived: r.packetsReceived};
	});
	s.connectionState = pc.connectionState;
	return s;
};

`;
