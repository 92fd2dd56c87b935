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
