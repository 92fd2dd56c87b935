// The "Call me" widget in headless Chromium, run by
// tests/integration/browser_widget.sh with a beckon serving the API at
// $API and the demo shop at $DEMO (another origin), the dialer in process
// and sipp phones for the customer and for alice (offline until this test
// makes her available). $DB is the server's SQLite file (read only here),
// $ART where screenshots go.
//
// Each scenario runs in its own browser context: its own localStorage,
// so one visitor's pending request does not leak into the next.
import { readFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { launch, ok, check } from './lib.mjs';

const { API, DEMO, DB, ART } = process.env;
const SRC = new URL('../..', import.meta.url).pathname;
/* 12 KiB until the widget learned to offer only the business's
 * countries, to say that nobody can call now and to offer times
 * instead (issue 14) */
const BUDGET = 13 * 1024;
const TOKEN = 'demo';

check(API && DEMO && DB && ART, 'API, DEMO, DB and ART must be set');
mkdirSync(ART, { recursive: true });

function sql(q) {
	return execFileSync('sqlite3', ['-json', DB, q], { encoding: 'utf8' })
		.trim();
}

function rows(q) {
	const s = sql(q);
	return s ? JSON.parse(s) : [];
}

async function admin(method, path, body) {
	const r = await fetch(API + '/v1/admin' + path, {
		method,
		headers: { Authorization: 'Bearer ' + TOKEN,
			   'Content-Type': 'application/json',
			   'If-Match': '*' },
		body: body && JSON.stringify(body),
	});
	const j = await r.json().catch(() => ({}));
	check(r.status < 300, `admin ${method} ${path}: ${r.status} ` +
	      JSON.stringify(j));
	return j;
}

// until f() is truthy (checked every 50 ms), or fail after ms
async function until(f, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await f();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('FAIL: timed out waiting for ' +
				(typeof what === 'function' ? what() : what));
		await new Promise((r) => setTimeout(r, 50));
	}
}

// the widget's parts, through its open shadow root
const W = 'beckon-widget';
const sel = (s) => `${W} >> ${s}`;

// what has the keyboard focus inside the widget: "#id", ".class" or
// "tag", "" when it is outside the widget
function focused(page) {
	return page.evaluate(() => {
		const h = document.querySelector('beckon-widget');
		if (!h || document.activeElement !== h)
			return '';
		const a = h.shadowRoot.activeElement;
		if (!a)
			return '';
		return a.id ? '#' + a.id : a.className ? '.' + a.className :
			a.tagName.toLowerCase() + (a.value ? '=' + a.value : '');
	});
}

function text(page, s) {
	return page.locator(sel(s)).first().textContent();
}

// Made-up pages from a server of the test's own, on a loopback address
// (Chromium lets only loopback pages reach the loopback API): PAGES on
// 127.0.0.1 is an origin the demo business lists (any port), EVIL on
// 127.0.0.2 is not.
const pages = new Map();
function serve(host) {
	const srv = createServer((q, r) => {
		const body = pages.get(q.url.split('?')[0]);
		r.writeHead(body ? 200 : 404, {'Content-Type': 'text/html'});
		r.end(body || 'not found');
	});
	return new Promise((res) => srv.listen(0, host, () =>
		res([srv, `http://${host}:${srv.address().port}`])));
}
const [srv1, PAGES] = await serve('127.0.0.1');
const [srv2, EVIL] = await serve('127.0.0.2');


async function run() {
	/* ---- the budget and the file as served ---- */
	const file = readFileSync(SRC + 'share/www/widget/widget.js');
	const gz = gzipSync(file, { level: 9 }).length;
	check(gz <= BUDGET, `widget.js is ${gz} bytes gzipped, over the ` +
	      `${BUDGET} budget`);
	const r = await fetch(API + '/widget.js');
	check(r.status === 200, `GET /widget.js: ${r.status}`);
	check(/max-age=\d+/.test(r.headers.get('cache-control') || ''),
	      'caching headers on /widget.js');
	const served = Buffer.from(await r.arrayBuffer());
	check(served.equals(file), 'the served widget is the file');
	const version = /var VERSION = '([\d.]+)'/.exec(file)[1];
	ok(`widget.js: ${file.length} bytes, ${gz} gzipped (budget ` +
	   `${BUDGET}), version ${version}, served with ` +
	   `"${r.headers.get('cache-control')}"`);

	// an origin the business does not list, in parallel with the rest:
	// the browser refuses the API's answers (no CORS headers) and the
	// widget, after retrying, says it cannot reach the service
	const evil = await browser.newContext();
	const ep = await evil.newPage();
	pages.set('/evil.html', `<!doctype html><html lang="en">
<title>Elsewhere</title>
<body><script src="${API}/widget.js" data-business="demo"></script>`);
	await ep.goto(EVIL + '/evil.html');
	await ep.locator(sel('button.b')).click();
	const refused = await ep.evaluate(async (api) => {
		try {
			await fetch(api + '/v1/callbacks', {method: 'POST',
				headers: {'Content-Type': 'application/json'},
				body: '{"business":"demo","phone":"+14155550111"}'});
			return false;
		} catch (e) {
			return true;
		}
	}, API);
	check(refused, 'a POST from an origin not listed went through');

	await phoneRules();
	await countries();
	await hostileCss();
	await languages();
	await businessLook();
	await keyboardOnly();
	await fieldErrors();
	await rateLimited();
	await mainFlow();

	/* ---- the origin not listed: nothing sent, the visitor told ---- */
	const msg = await until(() => ep.evaluate(() => document
		.querySelector('beckon-widget').shadowRoot
		.querySelector('[role=status]').textContent), 20000,
		'the widget on an origin not listed to give up');
	check(/cannot reach/.test(msg), `origin not listed: "${msg}"`);
	check(!(await ep.locator(sel('dialog[open]')).count()),
	      'a dialog opened on an origin not listed');
	check(!rows(`SELECT id FROM callbacks WHERE phone = '+14155550111'`)
	      .length, 'a callback from an origin not listed');
	ok('an origin the business does not list: the preflight is ' +
	   'refused, the widget retries then says "' + msg + '"');
	await evil.close();
}

/* ---- the browser's phone check is the server's (src/phone) ---- */
async function phoneRules() {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	await page.goto(DEMO + '/');
	await page.waitForFunction(() => window.Beckon &&
				   window.Beckon.normalize);

	// the unit tests' tables of src/phone, read from their source
	const c = readFileSync(SRC + 'tests/unit/test_phone.c', 'utf8');
	const unq = (s) => Buffer.from(s.replace(/\\x([0-9a-f]{2})|\\t/gi,
		(m, x) => x ? String.fromCharCode(parseInt(x, 16)) : '\t'),
		'latin1').toString('utf8');
	const str = '\\{"((?:[^"\\\\]|\\\\.)*)", (\\d+),\\s+';
	const valid = [...c.matchAll(new RegExp(str + '"(\\+\\d+)"\\}', 'g'))]
		.map((m) => [unq(m[1]), +m[2], m[3]]);
	const invalid = [...c.matchAll(new RegExp(str + 'PHONE_([A-Z]+)\\}',
						   'g'))]
		.map((m) => [unq(m[1]), +m[2], m[3].toLowerCase()]);
	check(valid.length > 30 && invalid.length > 40,
	      `phone cases read: ${valid.length} valid, ` +
	      `${invalid.length} invalid`);
	const bad = await page.evaluate((v) => v.filter(([s, cc, want]) =>
		window.Beckon.normalize(s, cc) !== want).map(([s, cc, want]) =>
		`${s} (${cc}): ${window.Beckon.normalize(s, cc)}, ` +
		`expected ${want}`), valid.concat(invalid));
	check(!bad.length, 'phone rules differ from src/phone:\n  ' +
	      bad.join('\n  '));

	// the calling codes: exactly those of src/phone/cc.c
	const cc = readFileSync(SRC + 'src/phone/cc.c', 'utf8');
	const tab = cc.slice(cc.indexOf('cc_tab[] = {'));
	const codes = new Set(tab.slice(0, tab.indexOf('};'))
		.replace(/\/\*[\s\S]*?\*\//g, '').match(/\b\d+\b/g));
	const wrong = await page.evaluate((known) => {
		const out = [];
		const k = new Set(known);
		// every 3 digits: known if they or their first 1 or 2 are
		for (let i = 100; i < 1000; i++) {
			const s = String(i);
			const listed = k.has(s) || k.has(s.slice(0, 1)) ||
				k.has(s.slice(0, 2));
			const r = window.Beckon.normalize('+' + s + '2345678901',
							  1);
			if (listed === (r === 'country'))
				out.push(s + ': ' + r);
		}
		return out;
	}, [...codes]);
	check(codes.size > 200 && !wrong.length,
	      `calling codes differ from cc.c: ${wrong.join(', ')}`);
	ok(`the browser's phone check agrees with src/phone: ` +
	   `${valid.length + invalid.length} cases of test_phone.c, ` +
	   `${codes.size} calling codes of cc.c`);
	await ctx.close();
}

/* ---- only the countries the business calls, named ---- */
async function countries() {
	const offered = async (ctx) => {
		const page = await ctx.newPage();
		await page.goto(DEMO + '/');
		await page.locator(sel('button.b')).click();
		await page.locator(sel('dialog[open]')).waitFor();
		const o = await page.locator(sel('#cc option')).evaluateAll(
			(v) => v.map((x) => x.value));
		return [page, o, await text(page, '#ccm')];
	};
	const ctx = await browser.newContext({locale: 'en-US'});
	const [page, one, said] = await offered(ctx);
	check(JSON.stringify(one) === '["1"]', `countries offered: ${one}`);
	check(said === 'Countries we call: United States and Canada.',
	      `the widget says "${said}"`);

	// a number of a country the business does not call: said, not sent
	const posts = [];
	page.on('request', (q) => q.method() === 'POST' && posts.push(q));
	await page.locator(sel('#ph')).fill('+44 20 7946 0958');
	await page.locator(sel('button[type=submit]')).click();
	const e = await text(page, '#phe');
	check(e === 'Calls to this country are not offered.' && !posts.length,
	      `+44 with only +1 allowed: "${e}", ${posts.length} sent`);
	await ctx.close();

	await admin('PUT', '/businesses/demo', {allowed_countries: '1 44'});
	const ctx2 = await browser.newContext({locale: 'en-US'});
	const [, two, said2] = await offered(ctx2);
	await admin('PUT', '/businesses/demo', {allowed_countries: ''});
	check(JSON.stringify(two.sort()) === '["1","44"]',
	      `countries offered with "1 44": ${two}`);
	check(said2 === 'Countries we call: United States, Canada, and ' +
	      'United Kingdom.', `the widget says "${said2}"`);
	ok(`the widget offers only the business's countries and says so: ` +
	   `"${said}"; "${said2}"; a +44 number with only +1 allowed is ` +
	   `refused in the browser ("${e}")`);
	await ctx2.close();
}

/* ---- a page whose CSS goes after everything ----
 * Every element, the widget's host included, gets !important rules; html
 * and body get every inherited property. (A transform, filter or opacity
 * on html or body would move or fade anything fixed on the page, the
 * widget too: no element can escape its ancestors' rendering.) */
const HOSTILE = `
* { all: unset !important; }
html, body {
	display: block !important; margin: 20px !important;
	padding: 30px !important; font: italic 41px/3 serif !important;
	color: #0f0 !important; background: #f0f !important;
	text-transform: uppercase !important; letter-spacing: 9px !important;
	word-spacing: 20px !important; text-align: right !important;
	line-height: 5 !important; visibility: hidden !important;
	cursor: wait !important; direction: ltr !important;
	--a: #f00 !important; --t: #0f0 !important; --r: #00f !important;
}
div, p, span, button, input, select, dialog, label, h2, form,
beckon-widget, body > * {
	display: block !important; position: relative !important;
	top: 37px !important; left: 13px !important; right: auto !important;
	bottom: auto !important; margin: 20px !important;
	padding: 30px !important; font: italic 41px/3 serif !important;
	color: #0f0 !important; background: #f0f !important;
	border: 7px dotted red !important; box-sizing: content-box !important;
	width: 17px !important; height: 11px !important;
	opacity: .3 !important; transform: rotate(7deg) scale(.6) !important;
	filter: blur(2px) !important; z-index: -1 !important;
	visibility: hidden !important; overflow: hidden !important;
	--a: #f00 !important; --t: #0f0 !important; --r: #00f !important;
}
beckon-widget { display: none !important; }
button { all: initial !important; }
dialog, ::backdrop { display: none !important; }
:focus, :focus-visible { outline: 9px solid yellow !important; }
`;

function page_html(css, lang) {
	return `<!doctype html><html${lang ? ` lang="${lang}"` : ''}>
<head><meta charset="utf-8"><title>Widget test page</title>
${css ? `<style>${css}</style>` : ''}
<script src="${API}/widget.js" data-business="demo" async></script>
</head><body><h1>A page</h1><p>Some text.</p></body></html>`;
}

// a made-up page on an origin the business lists
async function fakePage(ctx, path, html) {
	pages.set(path, html);
}

async function measure(page, name) {
	await page.locator(sel('button.b')).waitFor();
	const look = async (s) => page.locator(sel(s)).evaluate((e) => {
		const c = getComputedStyle(e), b = e.getBoundingClientRect();
		return {x: Math.round(b.x), y: Math.round(b.y),
			w: Math.round(b.width), h: Math.round(b.height),
			font: c.fontSize + ' ' + c.fontStyle + ' ' + c.fontFamily,
			color: c.color, bg: c.backgroundColor,
			display: c.display, visibility: c.visibility,
			opacity: c.opacity, transform: c.transform,
			tt: c.textTransform, ls: c.letterSpacing};
	});
	const host = await page.locator(W).evaluate((e) => {
		const c = getComputedStyle(e);
		return {display: c.display, position: c.position,
			visibility: c.visibility, opacity: c.opacity,
			transform: c.transform, filter: c.filter,
			z: c.zIndex};
	});
	const m = {host, button: await look('button.b')};
	await page.screenshot({path: `${ART}/${name}-button.png`});
	await page.locator(sel('button.b')).click();
	await page.locator(sel('dialog[open]')).waitFor();
	m.dialog = await look('dialog');
	m.phone = await look('#ph');
	m.submit = await look('button[type=submit]');
	m.title = await look('h2');
	await page.screenshot({path: `${ART}/${name}-dialog.png`});
	return m;
}

async function hostileCss() {
	const ctx = await browser.newContext({viewport: {width: 1000,
							 height: 760}});
	await fakePage(ctx, '/clean.html', page_html(''));
	await fakePage(ctx, '/hostile.html', page_html(HOSTILE));
	const page = await ctx.newPage();
	await page.goto(PAGES + '/clean.html');
	const clean = await measure(page, 'clean');
	const p2 = await ctx.newPage();
	await p2.goto(PAGES + '/hostile.html');
	const hostile = await measure(p2, 'hostile');

	check(clean.host.display === 'block' &&
	      clean.host.position === 'fixed', 'the host on a clean page: ' +
	      JSON.stringify(clean.host));
	check(JSON.stringify(hostile.host) === JSON.stringify(clean.host),
	      `the host: ${JSON.stringify(hostile.host)} on the hostile ` +
	      `page, ${JSON.stringify(clean.host)} on a clean one`);
	for (const k of ['button', 'dialog', 'phone', 'submit', 'title']) {
		check(JSON.stringify(hostile[k]) === JSON.stringify(clean[k]),
		      `${k}: ${JSON.stringify(hostile[k])} on the hostile ` +
		      `page, ${JSON.stringify(clean[k])} on a clean one`);
	}
	const b = clean.button;
	check(b.x + b.w <= 1000 - 19 && b.y + b.h <= 760 - 19 && b.h >= 44,
	      `the button is not in the bottom right corner: ` +
	      JSON.stringify(b));
	check(b.bg === 'rgb(11, 87, 208)' && b.color === 'rgb(255, 255, 255)',
	      `button colours ${b.bg} on ${b.color}`);
	check(clean.phone.font.startsWith('16px normal'),
	      `phone field font ${clean.phone.font}`);
	ok('aggressive global CSS (all: unset, !important on everything, ' +
	   'the host hidden): host, button, dialog, fields and title have ' +
	   'the same boxes and computed styles as on a clean page ' +
	   `(screenshots in ${ART})`);
	await ctx.close();
}

/* ---- English, French by the page's language or the browser's ---- */
async function languages() {
	const en = await browser.newContext({locale: 'en-US'});
	await fakePage(en, '/fr.html', page_html('', 'fr'));
	const p1 = await en.newPage();
	await p1.goto(PAGES + '/fr.html');
	await p1.locator(sel('button.b')).waitFor();
	const b1 = await text(p1, 'button.b');
	const fr = await browser.newContext({locale: 'fr-FR'});
	await fakePage(fr, '/nolang.html', page_html(''));
	const p2 = await fr.newPage();
	await p2.goto(PAGES + '/nolang.html');
	await p2.locator(sel('button.b')).click();
	await p2.locator(sel('dialog[open]')).waitFor();
	const t2 = await text(p2, 'h2');
	const l2 = await text(p2, 'label[for=ph]');
	const p3 = await en.newPage();
	await p3.goto(DEMO + '/');
	const b3 = await text(p3, 'button.b');
	check(b1 === 'Rappelez-moi', `lang="fr" page: button "${b1}"`);
	check(t2 === 'Demander un appel' && l2 === 'Numéro de téléphone',
	      `fr-FR browser: "${t2}", "${l2}"`);
	check(b3 === 'Call me', `English page: "${b3}"`);
	ok('French on a lang="fr" page and in a fr-FR browser, English on ' +
	   'the demo shop');
	await en.close();
	await fr.close();
}

/* ---- the business's own look, where the page sets none ---- */
async function businessLook() {
	await admin('PUT', '/businesses/demo', {widget_label: 'Parlons-en',
		widget_color: '#c2185b', widget_position: 'top-left',
		widget_language: 'fr'});
	const ctx = await browser.newContext({locale: 'en-US',
		viewport: {width: 1000, height: 760}});
	await fakePage(ctx, '/look.html', page_html(''));
	await fakePage(ctx, '/own.html', page_html('').replace(
		'data-business="demo"', 'data-business="demo" ' +
		'data-label="Call us" data-color="#2e7d32" data-lang="en"'));
	const page = await ctx.newPage();
	await page.goto(PAGES + '/look.html');
	const button = page.locator(sel('button.b'));
	await until(async () => (await text(page, 'button.b')) ===
		    'Parlons-en', 5000, 'the business\'s label');
	const b = await button.evaluate((e) => {
		const c = getComputedStyle(e), r = e.getBoundingClientRect();
		return {bg: c.backgroundColor, x: r.x, y: r.y};
	});
	await page.screenshot({path: `${ART}/business-look.png`});
	await button.click();
	await page.locator(sel('dialog[open]')).waitFor();
	const title = await text(page, 'h2');
	const p2 = await ctx.newPage();
	await p2.goto(PAGES + '/own.html');
	await p2.locator(sel('button.b')).waitFor();
	await p2.waitForResponse((r) => r.url().endsWith('/v1/businesses/demo'))
		.catch(() => {});
	await p2.waitForTimeout(300);
	const own = await p2.locator(sel('button.b')).evaluate((e) =>
		[e.textContent, getComputedStyle(e).backgroundColor]);
	await admin('PUT', '/businesses/demo', {widget_label: '',
		widget_color: '', widget_position: 'bottom-right',
		widget_language: ''});
	check(b.bg === 'rgb(194, 24, 91)' && b.x <= 21 && b.y <= 21,
	      `the business's colour and corner: ${JSON.stringify(b)}`);
	check(title === 'Demander un appel', `the business's language: ` +
	      `"${title}" in an en-US browser`);
	check(own[0] === 'Call us' && own[1] === 'rgb(46, 125, 50)',
	      `the page's own attributes win: ${JSON.stringify(own)}`);
	ok('with no data attributes the widget takes the business\'s label, ' +
	   'colour, corner and language (widget_*); the page\'s own ' +
	   'attributes win over them');
	await ctx.close();
}

/* ---- keyboard only: later, a slot in the visitor's zone, cancel ---- */
async function keyboardOnly() {
	const ctx = await browser.newContext({timezoneId: 'Asia/Tokyo'});
	const page = await ctx.newPage();
	await page.goto(DEMO + '/');
	await page.locator(sel('button.b')).waitFor();
	let n = 0;
	while ((await focused(page)) !== '.b') {
		check(++n < 30, 'Tab never reached the Call me button');
		await page.keyboard.press('Tab');
	}
	await page.keyboard.press('Enter');
	await page.locator(sel('dialog[open]')).waitFor();
	await until(async () => (await focused(page)) === '#ph', 3000,
		    'focus on the phone field');
	await page.keyboard.type('(212) 555-0142');
	await page.keyboard.press('Tab');
	check((await focused(page)) === '#nm', 'Tab to the name');
	await page.keyboard.type('Kim <b>Lee</b>');
	await page.keyboard.press('Tab');
	check((await focused(page)) === '#tm', 'Tab to the team');
	await page.keyboard.press('Tab');
	// nobody works at the demo now (alice and bob offline): "later" is
	// chosen for the visitor, who is told why, not left in line
	check((await focused(page)) === 'input=later',
	      'Tab to "later", chosen since nobody can call now');
	const why = await text(page, '#nwm');
	check(why === 'No agent is free now. Pick a time to be called.',
	      `why not now: "${why}"`);
	ok(`nobody working: "${why}"`);
	await page.locator(sel('#sl option[value^="2"]')).first()
		.waitFor({state: 'attached'});
	await page.keyboard.press('Tab');
	check((await focused(page)) === '#sl', 'Tab to the time');
	await page.keyboard.press('ArrowDown');
	const slot = await page.locator(sel('#sl')).evaluate((s) =>
		[s.value, s.selectedOptions[0].textContent,
		 s.selectedOptions[0].parentNode.label]);
	const tz = await text(page, '#slm');
	const want = new Intl.DateTimeFormat('en-US', {timeZone:
		'Asia/Tokyo', hour: 'numeric', minute: '2-digit'})
		.format(new Date(slot[0]));
	check(slot[1] === want, `slot ${slot[0]} shown as "${slot[1]}", ` +
	      `expected "${want}" (Asia/Tokyo)`);
	check(tz.includes('Asia/Tokyo'), `time zone note: "${tz}"`);

	// focus stays in the dialog, both ways round
	const seen = new Set();
	for (let i = 0; i < 12; i++) {
		await page.keyboard.press(i < 6 ? 'Tab' : 'Shift+Tab');
		const f = await focused(page);
		check(f, `Tab ${i + 1} left the dialog`);
		seen.add(f);
	}
	check(seen.has('.x') && seen.has('.p'), 'the Tab cycle: ' +
	      [...seen].join(' '));
	while ((await focused(page)) !== '.p')
		await page.keyboard.press('Tab');
	await page.keyboard.press('Enter');
	const st = await until(async () => {
		const s = await text(page, '.st');
		return /^We will call you on /.test(s) && s;
	}, 10000, 'the scheduled status');
	check((await focused(page)) === '.s', 'focus on Cancel after ' +
	      `sending (${await focused(page)})`);
	const cb = rows(`SELECT id, status, name, scheduled_for FROM callbacks
		WHERE phone = '+12125550142'`);
	check(cb.length === 1 && cb[0].status === 'scheduled' &&
	      cb[0].name === 'Kim <b>Lee</b>' &&
	      cb[0].scheduled_for === Date.parse(slot[0]),
	      'stored: ' + JSON.stringify(cb));
	ok(`keyboard only: Tab to the button, Enter, the form, "later" with ` +
	   `a slot shown in the visitor's zone (${slot[2]} ${slot[1]}), ` +
	   `focus kept in the dialog, sent: "${st}"`);

	await page.keyboard.press('Enter');
	await until(async () => (await text(page, '.st')) ===
		    'Your request is canceled.', 10000, 'canceled');
	check((await focused(page)) === '.p', 'focus on "Request a new call"');
	check(rows(`SELECT status FROM callbacks WHERE id = '${cb[0].id}'`)[0]
	      .status === 'canceled', 'not canceled in the store');
	await page.keyboard.press('Escape');
	await until(async () => !(await page.locator(sel('dialog[open]'))
		.count()), 3000, 'the dialog to close');
	check((await focused(page)) === '.b', 'focus back on the button');
	ok('keyboard only: Enter on Cancel (the cancel token) cancels it, ' +
	   'Escape closes, focus returns to the button');
	await ctx.close();
}

/* ---- a field error from the browser, one from the server; a network
 * error retried with the same Idempotency-Key ---- */
async function fieldErrors() {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	const posts = [];
	page.on('request', (q) => {
		if (q.method() === 'POST' && q.url() === API + '/v1/callbacks')
			posts.push(q);
	});
	await page.goto(DEMO + '/product.html');
	await page.locator(sel('button.b')).click();
	// nobody works now: "later" is chosen; this visitor asks for "now"
	await page.locator(sel('input[value=now]')).check();
	await page.locator(sel('#ph')).fill('555 0100');
	await page.locator(sel('button[type=submit]')).click();
	const e1 = await text(page, '#phe');
	check(e1 === 'This number has too few or too many digits.',
	      `browser check: "${e1}"`);
	check(await page.locator(sel('#ph')).getAttribute('aria-invalid') ===
	      'true', 'aria-invalid on the phone');
	check((await focused(page)) === '#ph', 'focus on the phone field');
	check(!posts.length, 'an invalid number was sent');
	await page.screenshot({path: `${ART}/field-error.png`});

	await page.locator(sel('#ph')).fill('+1 900 555 0100');
	const resp = page.waitForResponse(API + '/v1/callbacks');
	await page.locator(sel('button[type=submit]')).click();
	const r = await resp;
	check(r.status() === 400, `premium number: ${r.status()}`);
	await until(async () => (await text(page, '#phe')) ===
		    'Calls to this kind of number are not allowed.', 5000,
		    'the server\'s field error next to the phone');
	check(await page.locator(sel('#ph')).getAttribute('aria-invalid') ===
	      'true', 'aria-invalid after the 400');
	ok('field errors next to the field: "' + e1 + '" from the browser ' +
	   '(nothing sent), the server\'s 400 phone_denied for +1 900 ' +
	   'shown as "Calls to this kind of number are not allowed."');

	// the first attempt never reaches the server
	let aborted = 0;
	await page.route(API + '/v1/callbacks', (rt) =>
		rt.request().method() === 'POST' && !aborted++ ?
		rt.abort('connectionreset') : rt.continue());
	posts.length = 0;
	await page.locator(sel('#ph')).fill('+1 415 555 0177');
	await page.locator(sel('button[type=submit]')).click();
	await until(async () => /in line/.test(await text(page, '.st')),
		    10000, 'queued after a retry');
	const keys = posts.map((q) => q.headers()['idempotency-key']);
	check(posts.length === 2 && keys[0] && keys[0] === keys[1],
	      `attempts ${posts.length}, keys ${keys}`);
	const n = rows(`SELECT id FROM callbacks
		WHERE phone = '+14155550177'`).length;
	check(n === 1, `${n} callbacks stored`);
	await page.unroute(API + '/v1/callbacks');

	// a status poll read before the cancel, answered after it: held
	// here until the DELETE has been answered (it failed once under
	// load: "in line" painted over "canceled")
	let gotGet, deleted, stale;
	const polled = new Promise((k) => { gotGet = k; });
	const canceledNow = new Promise((k) => { deleted = k; });
	const isStatus = (u) => u.pathname.startsWith('/v1/callbacks/');
	await page.route(isStatus, async (rt) => {
		if (rt.request().method() !== 'GET' || stale)
			return rt.continue();
		stale = rt.request();
		const resp = await rt.fetch();
		gotGet(resp.status());
		await canceledNow;
		await rt.fulfill({ response: resp });
	});
	const pollStatus = await until(() => stale && polled, 10000,
				       'a status poll');
	check(pollStatus === 200, 'the held poll answered ' + pollStatus);
	const del = page.waitForResponse((r) => isStatus(new URL(r.url())) &&
		r.request().method() === 'DELETE');
	await page.locator(sel('.s')).click();
	check((await del).status() === 200, 'DELETE ' + (await del).status());
	await until(async () => (await text(page, '.st')) ===
		    'Your request is canceled.', 10000, 'canceled');
	const late = page.waitForEvent('requestfinished', (q) => q === stale);
	deleted();
	await late;
	// the page's handler of that answer runs within a few turns
	await page.evaluate(() => new Promise((k) => setTimeout(k, 200)));
	const after = await text(page, '.st');
	check(after === 'Your request is canceled.', 'a status read before ' +
	      `the cancel, answered after it, shows "${after}"`);
	await page.unroute(isStatus);
	ok('a network error on sending: retried with the same ' +
	   'Idempotency-Key, one callback stored (then canceled); a status ' +
	   'poll answered after the cancel does not undo "canceled"');
	await ctx.close();
}

/* ---- over a limit: 429, said plainly with when to try again ---- */
async function rateLimited() {
	await admin('PUT', '/businesses/demo', {limit_phone_15min: 1});
	const r = await fetch(API + '/v1/callbacks', {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: '{"business":"demo","phone":"+13125550177"}'});
	const j = await r.json();
	check(r.status === 202, `first request: ${r.status}`);
	const d = await fetch(API + j.status_url, {method: 'DELETE',
		headers: {Authorization: 'Bearer ' + j.cancel_token}});
	check(d.status === 200, `cancel: ${d.status}`);

	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	await page.goto(DEMO + '/support.html');
	await page.locator(sel('button.b')).click();
	await page.locator(sel('#ph')).fill('(312) 555-0177');
	const resp = page.waitForResponse(API + '/v1/callbacks');
	await page.locator(sel('button[type=submit]')).click();
	const res = await resp;
	check(res.status() === 429, `second request: ${res.status()}`);
	const ra = +res.headers()['retry-after'];
	const msg = await until(async () => {
		const s = await text(page, 'form [role=alert]');
		return s && s;
	}, 5000, 'the limit message');
	const min = Math.ceil(ra / 60);
	check(msg === `Too many requests. Please try again in ${min} ` +
	      'minutes.', `429 message: "${msg}" (Retry-After ${ra})`);
	check(!(await page.locator(sel('button[type=submit]')).isDisabled()),
	      'the send button stays usable');
	await page.screenshot({path: `${ART}/rate-limited.png`});
	await admin('PUT', '/businesses/demo', {limit_phone_15min: -1});
	ok(`429 with Retry-After ${ra}: "${msg}"`);
	await ctx.close();
}

/* ---- the whole story: queued, another page, called, connected ---- */
async function mainFlow() {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	const preflights = [];
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Network.enable');
	cdp.on('Network.requestWillBeSent', (e) => {
		if (e.request.method === 'OPTIONS' ||
		    (e.initiator && e.initiator.type === 'preflight'))
			preflights.push(e.request.url);
	});
	await page.goto(DEMO + '/product.html?size=m&token=s3cret#reviews',
			{referer: DEMO + '/'});
	await page.locator(sel('button.b')).click();
	await page.locator(sel('#ph')).fill('(415) 555-0142');
	await page.locator(sel('#nm')).fill('Ann');
	await page.locator(sel('#tm')).selectOption('sales');
	// told that nobody can call now, the visitor still asks for "now"
	await page.locator(sel('input[value=now]')).check();
	const resp = page.waitForResponse((q) => q.url() === API +
		'/v1/callbacks' && q.request().method() === 'POST');
	await page.locator(sel('button[type=submit]')).click();
	const res = await resp;
	check(res.status() === 202, `POST: ${res.status()}`);
	check(res.headers()['access-control-allow-origin'] === DEMO,
	      'CORS: ' + res.headers()['access-control-allow-origin']);
	const st = await until(async () => {
		const s = await text(page, '.st');
		return /in line/.test(s) && s;
	}, 10000, 'queued');
	check(st === 'You are number 1 in line.', `status "${st}"`);
	const eta = await text(page, '.st + .m');
	check(eta === 'No agent is free now.', `the wait said: "${eta}"`);
	const id = (await res.json()).id;
	const cb = rows(`SELECT phone, name, agent_key, page_url, page_title,
		referrer, status FROM callbacks WHERE id = '${id}'`)[0];
	const want = {phone: '+14155550142', name: 'Ann', agent_key: 'sales',
		page_url: DEMO + '/product.html?size=m',
		page_title: 'Trail X1 mountain bike | Demo Shop',
		referrer: DEMO + '/', status: 'queued'};
	check(JSON.stringify(cb) === JSON.stringify(want),
	      `stored ${JSON.stringify(cb)}, expected ${JSON.stringify(want)}`);
	check(preflights.some((u) => u === API + '/v1/callbacks'),
	      'no CORS preflight seen: ' + preflights.join(' '));
	ok(`from ${DEMO} to ${API} (preflight and all): "${st}"; stored ` +
	   'with the page URL minus its token and fragment, title, ' +
	   'referrer, team');
	await page.screenshot({path: `${ART}/queued.png`});

	// another page of the shop: the request is still there
	await page.locator(sel('.x')).click();
	await page.goto(DEMO + '/support.html');
	const label = await until(async () => {
		const s = await text(page, 'button.b');
		return s === 'In line: #1' && s;
	}, 5000, 'the button to show the place in line');
	await page.locator(sel('button.b')).click();
	await page.locator(sel('dialog[open]')).waitFor();
	check((await text(page, '.st')) === 'You are number 1 in line.',
	      'status after navigating');
	ok(`after going to another page the button says "${label}" and ` +
	   'the dialog shows the status');

	// alice becomes available: the call is placed
	const seen = [], labels = {};
	const watch = setInterval(async () => {
		try {
			// the status and the button, read at one instant
			const [s, b] = await page.evaluate(() => {
				const r = document.querySelector(
					'beckon-widget').shadowRoot;
				return [r.querySelector('.st').textContent,
					r.querySelector('button.b').textContent];
			});
			if (s && seen[seen.length - 1] !== s)
				seen.push(s);
			labels[s] = labels[s] || b;
		} catch (e) { /* the page is going away */ }
	}, 100);
	await admin('POST', '/agents/alice/state', {state: 'available'});
	await until(() => seen[seen.length - 1] === 'You’re connected.',
		    30000, () => 'connected (seen: ' + seen.join(' | ') + ')');
	clearInterval(watch);
	const order = ['You are number 1 in line.', 'We’re calling you now.',
		       'Please hold: we’re connecting you to an agent.',
		       'You’re connected.'];
	check(JSON.stringify(seen.filter((s) => order.includes(s))) ===
	      JSON.stringify(order), 'statuses seen: ' + seen.join(' | '));
	check(await page.locator(sel('.s')).isHidden(),
	      'Cancel shown while connected');
	const hold = labels['Please hold: we’re connecting you to an agent.'];
	check(hold === 'Please hold' &&
	      labels['We’re calling you now.'] === 'Calling you…',
	      'the button while the dialog says hold and calling: ' +
	      JSON.stringify(labels));
	await page.screenshot({path: `${ART}/connected.png`});
	ok('statuses seen: ' + seen.join(' → '));

	// alice hangs up from her desktop
	const login = await fetch(API + '/agent/api/login', {method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: '{"login":"alice","password":"demo"}'});
	check(login.status === 200, `login: ${login.status}`);
	const csrf = (await login.json()).csrf;
	const cookie = login.headers.get('set-cookie').split(';')[0];
	const hu = await fetch(`${API}/agent/api/callbacks/${id}/hangup`, {
		method: 'POST', headers: {Cookie: cookie,
					  'X-CSRF-Token': csrf}});
	check(hu.status === 200, `hangup: ${hu.status}`);
	await until(async () => (await text(page, '.st')) ===
		    'The call has ended. Thank you!', 10000, 'completed');
	check(await page.locator(sel('button:has-text("Request a new call")'))
	      .isVisible(),
	      '"Request a new call" after the end');
	const ended = await text(page, 'button.b');
	check(ended === 'Call ended', `the button at the end: "${ended}"`);
	// the visitor comes back, the dialog not closed: the end was seen
	await page.goto(DEMO + '/');
	await page.locator(sel('button.b')).waitFor();
	await page.waitForTimeout(300);
	const b = await text(page, 'button.b');
	check(b === 'Call me', `button when back after a finished call: ` +
	      `"${b}"`);
	await page.locator(sel('button.b')).click();
	await page.locator(sel('dialog[open]')).waitFor();
	check(await page.locator(sel('#ph')).isVisible(),
	      'the form, not the old status, after coming back');
	ok('the agent hangs up: "The call has ended. Thank you!", the ' +
	   `button "${ended}"; back on the shop the button is "${b}" and ` +
	   'opens the form');
	await ctx.close();
}

const browser = await launch();
try {
	await run();
} finally {
	await browser.close();
	srv1.close();
	srv2.close();
}
