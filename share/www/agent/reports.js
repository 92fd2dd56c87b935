// The supervisor's Reports and Find callbacks (the supervisor view's
// last two cards): GET /agent/api/reports as a table, a bar chart and a
// CSV download of the same query, and GET /agent/api/search with each
// callback's whole history. The server keeps a supervisor to their own
// businesses; everything shown is text (dom.js), never markup.

import {get} from './api.js';
import {$, fill, h, link, money, phone, svg, when, words} from './dom.js';

const COUNTS = [
	['requested', 'Requested'],
	['connected', 'Connected'],
	['connected_60s', 'Within 60 s'],
	['connected_sla', 'Within SLA'],
	['median_connect_s', 'Median to connect'],
	['p90_connect_s', '90% within'],
	['abandoned', 'Abandoned'],
	['failed', 'Failed'],
	['canceled', 'Canceled'],
	['sales', 'Sales'],
];

const BREAKDOWN_WORDS = {
	business: 'Business', agent: 'Agent', key: 'Agent key', page: 'Page',
	hour: 'Hour',
};

// the chart's bars per row, and how many rows it draws at most
const SERIES = [
	['requested', 'Requested'],
	['connected', 'Connected'],
	['connected_sla', 'Within SLA'],
];
const CHART_ROWS = 40;

let filled = false;
let findNext = null;
let findQuery = '';

function isoDay(d) {
	const p = (n) => String(n).padStart(2, '0');

	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// The supervisor's businesses in the selector, once.
async function fillBusinesses() {
	if (filled)
		return;
	filled = true;
	try {
		const me = await get('/agent/api/me');
		const ids = String(me.agent.businesses || '').split(/[\s,]+/)
			.filter(Boolean);

		$('rep-business').append(...ids.map((b) =>
			h('option', {value: b}, b)));
	} catch {
		filled = false;
	}
}

function reportQuery(format) {
	const q = new URLSearchParams();

	for (const [k, id] of [['business', 'rep-business'],
		['from', 'rep-from'], ['to', 'rep-to'], ['by', 'rep-by'],
		['breakdown', 'rep-breakdown']]) {
		if ($(id).value)
			q.set(k, $(id).value);
	}
	if (format)
		q.set('format', format);

	return q.toString();
}

function seconds(v) {
	return v === null || v === undefined ? '—' : `${v} s`;
}

// what a breakdown key is, for people
function keyText(bd, v) {
	if (v === '')
		return bd === 'agent' ? '(nobody)' : '(none)';
	if (bd === 'hour')
		return `${v}:00`;
	return v;
}

function totals(r) {
	if (!r.totals.length)
		return '—';
	return r.totals.map((t) => h('span', {class: 'total',
		'data-currency': String(t.currency)},
		`${money(t.amount_cents, t.currency)} (${t.sales})`));
}

function renderTable(rep) {
	const bd = rep.breakdown;

	fill($('rep-table').tHead, h('tr', {},
		h('th', {scope: 'col'}, 'Period'),
		bd ? h('th', {scope: 'col'}, BREAKDOWN_WORDS[bd] || bd) : null,
		COUNTS.map(([, l]) => h('th', {scope: 'col', class: 'num'}, l)),
		h('th', {scope: 'col'}, 'Sales totals')));
	fill($('rep-table').tBodies[0], rep.rows.map((r) => h('tr', {
		'data-period': r.period},
	h('th', {scope: 'row'}, r.period),
	bd ? h('td', {'data-key': r[bd]}, bd === 'page'
		? link(r[bd], r[bd]) : keyText(bd, r[bd])) : null,
	COUNTS.map(([k]) => h('td', {class: 'num', 'data-col': k},
		k.endsWith('_s') ? seconds(r[k]) : String(r[k]))),
	h('td', {}, totals(r)))));
}

// Horizontal bars, one group per row: asked, reached, reached in time.
// The table holds the numbers; the chart only the shapes.
function renderChart(rep) {
	const rows = rep.rows.slice(0, CHART_ROWS);
	const bd = rep.breakdown;

	if (!rows.length)
		return fill($('rep-chart'));

	const barH = 8;
	const labelW = 190;
	const width = 640;
	const groupH = SERIES.length * barH + 8;
	const max = Math.max(1, ...rows.map((r) => r.requested));
	const scale = (width - labelW - 40) / max;
	const root = svg('svg', {viewBox: `0 0 ${width} ${
		rows.length * groupH + 4}`, role: 'img', class: 'bars',
	'aria-label': 'Requested, connected and within the service level ' +
		'per row of the table'});

	rows.forEach((r, i) => {
		const y0 = i * groupH;
		const label = bd ? `${r.period} ${keyText(bd, r[bd])}` : r.period;

		root.append(svg('text', {x: 0, y: y0 + 2 * barH,
			class: 'chart-label'}, label.slice(0, 30)));
		SERIES.forEach(([k, l], j) => {
			const v = Number(r[k]) || 0;

			root.append(svg('rect', {x: labelW, y: y0 + j * barH,
				height: barH - 1, width: Math.max(v ? 2 : 0, v * scale),
				class: `bar bar-${k}`},
			svg('title', {}, `${label}: ${l.toLowerCase()} ${v}`)));
		});
		root.append(svg('text', {x: labelW + r.requested * scale + 6,
			y: y0 + barH, class: 'chart-value'}, String(r.requested)));
	});

	return fill($('rep-chart'), root,
		h('ul', {class: 'legend'}, SERIES.map(([k, l]) => h('li', {},
			h('span', {class: `swatch bar-${k}`, 'aria-hidden': 'true'}),
			l))));
}

async function showReport(ev) {
	ev.preventDefault();
	$('rep-error').textContent = '';
	try {
		const rep = await get(`/agent/api/reports?${reportQuery()}`);

		renderTable(rep);
		renderChart(rep);
		// the same query as a file: the same numbers
		$('rep-csv').href = `/agent/api/reports?${reportQuery('csv')}`;
		$('rep-csv').hidden = false;
	} catch (e) {
		$('rep-error').textContent = e.field
			? `${e.field}: ${e.message}` : e.message;
		$('rep-csv').hidden = true;
	}
}

// ---- the search ----

function eventLine(e) {
	return h('li', {'data-type': e.type},
		h('time', {datetime: e.t}, when(e.t)), ' ', words(e.type),
		e.data ? h('span', {class: 'muted'}, ' ', JSON.stringify(e.data))
			: null);
}

function outcomeLine(o) {
	if (!o)
		return null;
	return h('p', {class: 'outcome'}, words(o.disposition),
		o.amount_cents ? ` · ${money(o.amount_cents, o.currency)}` : '',
		o.agent ? ` · ${o.agent}` : '', o.notes ? ` · ${o.notes}` : '');
}

function foundItem(c) {
	const ev = c.events || [];

	return h('li', {'data-id': c.id, 'data-status': c.status},
		h('p', {},
			h('strong', {}, when(c.created_at)), ' · ', c.business,
			' · ', h('span', {title: c.phone}, phone(c.phone, c.business)),
			c.name ? ` · ${c.name}` : '', ' · ', words(c.status),
			c.agent ? ` · ${c.agent}` : ''),
		c.page_url ? h('p', {}, link(c.page_url, c.page_title ||
			c.page_url)) : null,
		c.note ? h('p', {class: 'note'}, c.note) : null,
		outcomeLine(c.outcome),
		h('details', {}, h('summary', {}, `History (${ev.length})`),
			h('ol', {class: 'timeline'}, ev.map(eventLine))));
}

function findQueryNow() {
	const q = new URLSearchParams();

	for (const [k, id] of [['number', 'find-number'],
		['from', 'find-from'], ['to', 'find-to'],
		['status', 'find-status'], ['agent', 'find-agent']]) {
		const v = $(id).value.trim();

		if (v)
			q.set(k, v);
	}

	return q.toString();
}

async function find(more) {
	$('find-error').textContent = '';
	if (!more) {
		findQuery = findQueryNow();
		findNext = null;
		fill($('find-results'));
	}
	const q = new URLSearchParams(findQuery);

	if (more && findNext)
		q.set('before', findNext);
	try {
		const r = await get(`/agent/api/search?${q}`);

		$('find-results').append(...r.callbacks.map(foundItem));
		findNext = r.next;
		$('find-more').hidden = !findNext;
		$('find-none').hidden = $('find-results').children.length > 0;
	} catch (e) {
		$('find-error').textContent = e.field
			? `${e.field}: ${e.message}` : e.message;
	}
}

// ---- start ----

{
	const to = new Date();
	const from = new Date(to.getTime() - 29 * 86400000);

	$('rep-to').value = isoDay(to);
	$('rep-from').value = isoDay(from);
	$('rep-form').addEventListener('focusin', fillBusinesses);
	$('rep-form').addEventListener('submit', showReport);
	$('find-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		find(false);
	});
	$('find-more').addEventListener('click', () => find(true));
}
