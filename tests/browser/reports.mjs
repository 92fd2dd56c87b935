// The supervisor's Reports and Find callbacks in headless Chromium, run
// by tests/integration/browser_reports.sh (BECKON_URL, ART, SLOW) over a
// generated month (tests/integration/reports.py): bob logs in, opens the
// supervisor view, asks for March by day (the DST day included) and sees
// the numbers GET /agent/api/reports answers, as a table and as bars;
// the CSV link downloads the same rows; per agent key and per page the
// visitor-made keys stay text; a wrong range says which field; the
// search by number lists the callbacks with their history. Nothing a
// visitor sent runs: no dialog, no injected element, no page error.
import { launch, ok, check } from './lib.mjs';

const URL_ = process.env.BECKON_URL;
const ART = process.env.ART;
const SLOW = Number(process.env.SLOW || 1);
const T = 15000 * SLOW;
const Q = 'business=demo&from=2026-03-01&to=2026-03-31';

const browser = await launch();
const page = await (await browser.newContext({acceptDownloads: true}))
	.newPage();
const problems = [];

page.on('dialog', (d) => {
	problems.push(`dialog: ${d.message()}`);
	d.dismiss();
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.setDefaultTimeout(T);

try {
	await page.goto(`${URL_}/agent/`);
	await page.fill('#login-name', 'bob');
	await page.fill('#login-password', 'demo');
	await page.press('#login-password', 'Enter');
	await page.click('#view-sup');
	await page.waitForSelector('#rep-form', {state: 'visible'});
	ok('bob logs in and opens the supervisor view');

	// the form, as a person fills it
	await page.focus('#rep-from');
	await page.waitForSelector('#rep-business option[value=demo]',
		{state: 'attached'});
	await page.selectOption('#rep-business', 'demo');
	await page.fill('#rep-from', '2026-03-01');
	await page.fill('#rep-to', '2026-03-31');
	await page.selectOption('#rep-by', 'day');
	await page.click('#rep-form button[type=submit]');
	await page.waitForFunction(() =>
		document.querySelectorAll('#rep-table tbody tr').length === 31);

	const api = await page.evaluate(async (q) =>
		(await fetch(`/agent/api/reports?${q}`)).json(), Q + '&by=day');
	const shown = await page.$$eval('#rep-table tbody tr', (rows) =>
		rows.map((r) => ({
			period: r.dataset.period,
			cells: Object.fromEntries([...r.querySelectorAll(
				'td[data-col]')].map((td) => [td.dataset.col,
				td.textContent])),
		})));
	check(shown.length === api.rows.length, 'one table row per period');
	api.rows.forEach((r, i) => {
		const s = shown[i];

		check(s.period === r.period, `row ${i}: ${s.period}`);
		for (const [k, v] of Object.entries(s.cells)) {
			const want = k.endsWith('_s')
				? (r[k] === null ? '—' : `${r[k]} s`) : String(r[k]);

			check(v === want, `${r.period} ${k}: '${v}', API ${want}`);
		}
	});
	const dst = api.rows.find((r) => r.period === '2026-03-08');
	check(dst && dst.requested > 0, 'the DST day has its callbacks');
	ok(`March by day: 31 rows equal to the API's (${api.rows.reduce(
		(n, r) => n + r.requested, 0)} requested; the 8th, 23 hours ` +
		`long, ${dst.requested})`);

	const bars = await page.$$eval('#rep-chart svg rect', (v) => v.length);
	check(bars === 31 * 3, `${bars} bars, 93 expected`);
	ok('the chart: three bars per period, drawn by our own code');
	await page.screenshot({path: `${ART}/report-day.png`, fullPage: true});

	// the CSV link: the same query, the same numbers
	const href = await page.getAttribute('#rep-csv', 'href');
	check(/format=csv/.test(href), `CSV link ${href}`);
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.click('#rep-csv')]);
	const csv = await (await import('node:fs/promises')).readFile(
		await dl.path(), 'utf8');
	const lines = csv.split('\r\n').filter(Boolean);
	check(lines.length === 32, `CSV: ${lines.length} lines`);
	const head = lines[0].split(',');
	lines.slice(1).forEach((l, i) => {
		const c = l.split(',');
		const r = api.rows[i];

		check(c[0] === r.period && Number(c[head.indexOf('requested')]) ===
			r.requested && Number(c[head.indexOf('connected_sla')]) ===
			r.connected_sla, `CSV line ${i + 1}: ${l}`);
	});
	ok('Download CSV: 31 rows with the table\'s numbers');

	// visitor-made keys and pages stay text
	await page.selectOption('#rep-by', 'range');
	await page.selectOption('#rep-breakdown', 'key');
	await page.click('#rep-form button[type=submit]');
	await page.waitForFunction(() => [...document.querySelectorAll(
		'#rep-table td[data-key]')].some((td) =>
		td.textContent.startsWith('<img')));
	await page.selectOption('#rep-breakdown', 'page');
	await page.click('#rep-form button[type=submit]');
	await page.waitForFunction(() => [...document.querySelectorAll(
		'#rep-table td[data-key]')].some((td) =>
		td.textContent.startsWith('javascript:')));
	const links = await page.$$eval('#rep-table td[data-key] a',
		(v) => v.map((a) => a.href));
	check(links.every((u) => /^https?:/.test(u)), `links: ${links}`);
	check(links.length > 0, 'the pages are links');
	ok('per key and per page: markup and javascript: shown as text');

	// a range the server refuses: the field said
	await page.fill('#rep-from', '2026-04-01');
	await page.click('#rep-form button[type=submit]');
	await page.waitForFunction(() =>
		document.querySelector('#rep-error').textContent.startsWith('to:'));
	ok('to before from: the form says which field');

	// the search
	await page.fill('#find-number', '(415) 555-0007');
	await page.fill('#find-from', '2026-03-01');
	await page.fill('#find-to', '2026-03-31');
	await page.click('#find-form button[type=submit]');
	await page.waitForSelector('#find-results > li');
	let all = await page.evaluate(async () => {
		const v = [];
		let next = '';

		for (;;) {
			const r = await (await fetch('/agent/api/search?number=' +
				'4155550007&from=2026-03-01&to=2026-03-31' +
				(next ? `&before=${next}` : ''))).json();
			v.push(...r.callbacks);
			if (!r.next)
				return v;
			next = r.next;
		}
	});
	while (await page.isVisible('#find-more')) {
		const n = await page.$$eval('#find-results > li', (v) => v.length);

		await page.click('#find-more');
		await page.waitForFunction((k) => document.querySelectorAll(
			'#find-results > li').length > k, n);
	}
	const ids = await page.$$eval('#find-results > li',
		(v) => v.map((li) => li.dataset.id));
	check(ids.join() === all.map((c) => c.id).join(),
		`found ${ids.length}, the API ${all.length}`);
	await page.click('#find-results > li:first-child summary');
	const evs = await page.$$eval('#find-results > li:first-child ' +
		'.timeline > li', (v) => v.map((li) => li.dataset.type));
	check(evs.join() === all[0].events.map((e) => e.type).join(),
		`history: ${evs}`);
	ok(`Find callbacks by number: ${ids.length} (with More), the first ` +
		`with its history: ${evs.join(' ')}`);
	await page.screenshot({path: `${ART}/search.png`, fullPage: true});

	const xss = await page.evaluate(() => window.__xss);
	const imgs = await page.$$eval('#sup img', (v) => v.length);
	check(xss === undefined && imgs === 0, `injected: ${xss} ${imgs}`);
	check(!problems.length, problems.join('; '));
	ok('nothing a visitor sent ran');
} finally {
	await browser.close();
}
