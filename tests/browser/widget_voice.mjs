// The widget's "Talk now in your browser" on the demo shop, in headless
// Chromium (run by tests/integration/serve_webrtc.sh: beckon with its
// dialer and rtpengine, alice on a registered baresip, auto-answer).
//
//   node widget_voice.mjs API DEMO MIC_WAV MODE
//
// MODE talk: the visitor presses Call me, then Talk now (voice.js is
// loaded only then), sees "Connected 0:0x" with a timer, hears alice
// (inbound RTP with energy), mutes and unmutes, hangs up; prints the
// callback's id. MODE leave: no agent is free: the widget shows the place
// in line, then the tab is closed. MODE denied: the microphone is refused: the widget says
// so and nothing is posted. MODE down: rtpengine is gone: the call cannot
// be placed, the widget says so and shows the Call me back form again.
import { launch, ok, check } from './lib.mjs';

const [API, DEMO, micWav, mode] = process.argv.slice(2);

async function until(f, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await f();
		if (v)
			return v;
		check(Date.now() < end, `timed out waiting for ${what}` +
			(page ? ` (the widget says "${await page.locator(
				'#vst').last().textContent()}")` :
				''));
		await new Promise((r) => setTimeout(r, 100));
	}
}

const flags = [
	'--use-fake-device-for-media-stream',
	`--use-file-for-fake-audio-capture=${micWav}`,
	'--allow-loopback-in-peer-connection',
	'--disable-features=WebRtcHideLocalIpsWithMdns',
	'--autoplay-policy=no-user-gesture-required',
];
let page;
const browser = await launch(mode === 'denied' ?
	[...flags, '--deny-permission-prompts'] :
	[...flags, '--use-fake-ui-for-media-stream']);
try {
	page = await browser.newPage();
	const posts = [], scripts = [];
	page.on('pageerror', (e) => console.error(`page: ${e}`));
	page.on('console', (m) => m.type() === 'error' &&
		console.error(`console: ${m.text()}`));
	page.on('request', (r) => {
		if (r.url().endsWith('/v1/callbacks') && r.method() === 'POST')
			posts.push(r.postData());
		if (r.url().endsWith('.js'))
			scripts.push(r.url().replace(/.*\//, ''));
	});
	// the page's peer connections, to read their statistics
	await page.addInitScript(() => {
		const O = window.RTCPeerConnection;
		window.pcs = [];
		window.RTCPeerConnection = function (c) {
			const p = new O(c);
			window.pcs.push(p);
			return p;
		};
		window.RTCPeerConnection.prototype = O.prototype;
	});
	await page.goto(DEMO + '/');
	await page.locator('button.b').click();
	const talk = page.getByRole('button', {name:
		'Talk now in your browser'});
	await talk.waitFor();
	check(!scripts.includes('widget-voice.js'),
		'voice.js loaded before Talk now was pressed');
	ok('the dialog offers "Talk now in your browser"; its code is not ' +
		'loaded yet');
	await talk.click();
	const status = page.locator('#vst').last();

	if (mode === 'leave') {
		await until(async () => /You are number 1 in line/.test(
			await status.textContent()), 10000, 'the place in line');
		ok(`"${await status.textContent()}"`);
		await page.close();
	} else if (mode === 'denied') {
		const err = page.locator('.e[role=alert]').first();
		await until(async () => /microphone is blocked/.test(
			await err.textContent()), 10000, 'the refusal');
		check(posts.length === 0, 'a request was posted: ' + posts);
		check(await page.locator('#ph').isVisible(),
			'the phone form is not back');
		ok('microphone refused: "' + await err.textContent() +
			'", nothing posted, the Call me back form shown');
	} else if (mode === 'down') {
		const err = page.locator('.e[role=alert]').first();
		await until(async () => /not available now/.test(
			await err.textContent()), 20000, 'the fallback');
		check(await page.locator('#ph').isVisible(),
			'the phone form is not back');
		check(posts.length === 1 && !/phone/.test(posts[0]),
			'posts: ' + posts);
		ok('rtpengine down: "' + await err.textContent() + '", the ' +
			'Call me back form shown again');
	} else {
		check(scripts.includes('widget-voice.js'),
			'voice.js not loaded: ' + scripts);
		await until(async () => /Connected \d+:0[2-9]/.test(
			await status.textContent()), 30000,
			'"Connected 0:02" with a timer');
		check(posts.length === 1 && JSON.parse(posts[0]).voice ===
			'browser' && !/phone/.test(posts[0]),
			'the request: ' + posts);
		ok(`"${await status.textContent()}": connected, the timer ` +
			'runs; one request, voice browser, no phone');
		const s = await page.evaluate(async () => {
			let r = {};
			(await window.pcs[0].getStats()).forEach((x) => {
				if (x.type === 'inbound-rtp')
					r = x;
			});
			return {p: r.packetsReceived, e: r.totalAudioEnergy};
		});
		check(s.p > 50 && s.e > 0, 'inbound audio: ' +
			JSON.stringify(s));
		ok(`the page receives alice (${s.p} packets, energy ${
			s.e.toFixed(3)})`);
		const mute = page.getByRole('button', {name: 'Mute'});
		await mute.click();
		check(await mute.getAttribute('aria-pressed') === 'true' &&
			await page.evaluate(() => !window.pcs[0].getSenders()[0]
				.track.enabled), 'mute');
		await page.getByRole('button', {name: 'Unmute'}).click();
		ok('mute and unmute (aria-pressed, the microphone track)');
		await page.getByRole('button', {name: 'Hang up'}).click();
		await until(async () => /call has ended/.test(
			await status.textContent()), 5000, 'the end');
		ok('Hang up: "' + await status.textContent() + '"');
	}
} finally {
	await browser.close();
}
