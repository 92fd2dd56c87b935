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
