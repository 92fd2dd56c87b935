// The supervisor's view: the live queue (with why each callback waits,
// and what the supervisor can do about it: supervise.js), every agent's
// state and today's figures per business, from GET /agent/api/supervisor, asked again
// whenever the server says over the WebSocket that something changed
// ("queue", at most twice a second), and every POLL_MS while on screen
// for what no event tells (the ages, today's figures rolling over, a
// lost nudge).

import {get} from './api.js';
import {$, duration, fill, h, money, onTick, phone, svg, when, words}
	from './dom.js';
import {createActions, createListener, renderWebhooks, whyText}
	from './supervise.js';

const POLL_MS = 15000;

// which node of a cluster this page talks to, and which leads (text
// only: a node id is the operator's, shown as it is)
function renderNode(node, leader) {
	$('sup-node').hidden = !node;
	$('sup-node-id').textContent = node || '';
	$('sup-leader').textContent = leader || 'unknown';
}

const SERIES = [
	['requested', 'Requested'],
	['canceled', 'Canceled'],
	['connected', 'Connected'],
	['connected_60s', 'Within 60 s'],
	['abandoned', 'Abandoned'],
	['failed', 'Failed'],
];

const STATE_WORDS = {
	offline: 'Offline', available: 'Available', away: 'Away',
	offered: 'Reserved', on_call: 'On a call', wrap_up: 'Wrap-up',
};

// One line per currency: amounts in dollars and euros never add up.
function totals(f) {
	const v = Array.isArray(f.totals) ? f.totals : [];

	if (!v.length)
		return '—';
	return [v.map((t) => h('span', {class: 'total',
		'data-currency': String(t.currency)},
		money(t.amount_cents, t.currency))),
		f.totals_cut ? h('span', {class: 'total muted'}, '…') : null];
}

// A supervisor's assignment: "agent:ID" or a team key.
function assignedText(a, names) {
	if (!a)
		return '—';
	const id = a.startsWith('agent:') ? a.slice(6) : '';

	return id ? `for ${names.get(id) || id} (assigned)`
		: `team ${a} (assigned)`;
}

function cells(...v) {
	return v.map((x) => h('td', {}, x));
}

export function createSupervisor({notify, send}) {
	let timer = 0;
	let loading = false;
	let again = false;
	let fetchedAt = 0;
	let last = null;
	// the queue's buttons follow the listen's state
	const listener = createListener({notify, send, changed: () => {
		if (last)
			renderQueue(last.queue || [], last.agents || []);
	}});
	const actions = createActions({notify, refresh: () => refresh(),
		customer, listener});

	function renderFigures(fig) {
		const ids = Object.keys(fig).sort();

		fill($('figures').tBodies[0], ids.map((b) => {
			const f = fig[b];

			return h('tr', {'data-business': b},
				h('th', {scope: 'row'}, b),
				cells(f.requested, f.canceled, f.connected,
					f.connected_60s,
					f.median_connect_s >= 0
						? duration(f.median_connect_s) : '—',
					f.abandoned, f.failed, f.no_human,
					f.sales,
					totals(f)));
		}));
		fill($('chart'), chart(fig, ids));
	}

	// Grouped horizontal bars, one group per business: how many asked,
	// how many were reached (and how fast), how many were lost. Shapes
	// only; the table above holds the numbers for screen readers.
	function chart(fig, ids) {
		if (!ids.length)
			return null;
		const barH = 14;
		const gap = 4;
		const labelW = 110;
		const width = 520;
		const groupH = SERIES.length * (barH + gap) + 18;
		const max = Math.max(1, ...ids.flatMap((b) =>
			SERIES.map(([k]) => Number(fig[b][k]) || 0)));
		const scale = (width - labelW - 40) / max;
		const height = ids.length * groupH + 24;
		const root = svg('svg', {viewBox: `0 0 ${width} ${height}`,
			role: 'img', class: 'bars',
			'aria-label': 'Today per business: ' + ids.map((b) =>
				`${b}: ${SERIES.map(([k, l]) =>
					`${l.toLowerCase()} ${fig[b][k]}`).join(', ')}`)
				.join('; ')});

		ids.forEach((b, i) => {
			const y0 = i * groupH;

			root.append(svg('text', {x: 0, y: y0 + 12,
				class: 'chart-biz'}, b));
			SERIES.forEach(([k, label], j) => {
				const v = Number(fig[b][k]) || 0;
				const y = y0 + 18 + j * (barH + gap);

				root.append(
					svg('text', {x: 0, y: y + barH - 3,
						class: 'chart-label'}, label),
					svg('rect', {x: labelW, y, height: barH,
						width: Math.max(v ? 2 : 0, v * scale),
						class: `bar bar-${k}`},
						svg('title', {}, `${label}: ${v}`)),
					svg('text', {x: labelW + v * scale + 6,
						y: y + barH - 3, class: 'chart-value'},
						String(v)));
			});
		});

		return root;
	}

	// The customer as people read them: "Ann · (415) 555-0101".
	function customer(q) {
		const p = phone(q.phone, q.business);

		return q.name ? `${q.name} · ${p}` : p;
	}

	function renderQueue(queue, agents) {
		const since = fetchedAt;
		const names = new Map(agents.map((a) => [a.id, a.name || a.id]));
		const rows = queue.map((q) => {
			const age = h('td', {});
			// waiting since asked, or talking since connected
			const tick = () => {
				const talk = q.status === 'connected';
				const s = (talk ? q.status_s : q.age_s) +
					(Date.now() - since) / 1000;

				age.textContent = `${talk ? 'talking' : 'waiting'} ${
					duration(s)}`;
			};
			tick();
			return {row: h('tr', {'data-id': q.id,
				'data-status': q.status},
				h('td', {}, q.business),
				h('td', {}, words(q.status)),
				h('td', {title: q.phone}, customer(q)),
				age,
				h('td', {}, q.status === 'scheduled' && q.scheduled_for
					? `at ${when(q.scheduled_for)}`
					: q.position ? `#${q.position}` : '—'),
				h('td', {}, q.rule || '—'),
				h('td', {}, q.agent ? names.get(q.agent) || q.agent
					: assignedText(q.assigned, names)),
				h('td', {class: 'why'}, whyText(q)),
				actions.queueCell(q, agents)), tick};
		});

		fill($('queue').tBodies[0], rows.map((r) => r.row));
		$('queue-count').textContent = `(${queue.length})`;
		$('queue-none').hidden = queue.length > 0;
		onTick('sup-queue', () => rows.forEach((r) => r.tick()));
	}

	// Who is doing what, at a glance: one bar cut by state, with a
	// legend that holds the numbers (and says it all to screen readers).
	function renderStates(agents) {
		const order = ['available', 'offered', 'on_call', 'wrap_up',
			'away', 'offline'];
		const n = (st) => agents.filter((a) => a.state === st).length;
		const total = agents.length || 1;
		const bar = h('div', {class: 'states', 'aria-hidden': 'true'});

		for (const st of order) {
			if (!n(st))
				continue;
			const seg = h('span', {class: 'badge-seg',
				'data-state': st, title: `${STATE_WORDS[st]}: ${n(st)}`});

			// CSSOM, which the Content-Security-Policy allows
			seg.style.width = `${(100 * n(st)) / total}%`;
			bar.append(seg);
		}
		fill($('agent-states'), bar, h('ul', {class: 'legend'},
			order.map((st) => h('li', {'data-state': st},
				h('span', {class: 'swatch', 'data-state': st,
					'aria-hidden': 'true'}),
				`${STATE_WORDS[st]}: ${n(st)}`))));
	}

	function renderAgents(agents, queue) {
		const calls = new Map(queue.map((q) => [q.id, q]));
		const rows = agents.map((a) => {
			const q = a.callback && calls.get(a.callback);
			const dur = h('td', {});
			const tick = () => {
				dur.textContent = a.since
					? duration((Date.now() - a.since) / 1000) : '—';
			};
			tick();
			return {row: h('tr', {'data-id': a.id, 'data-state': a.state},
				h('th', {scope: 'row'}, a.name || a.id),
				h('td', {}, h('span', {class: 'badge',
					'data-state': a.state},
					STATE_WORDS[a.state] || words(a.state))),
				dur,
				h('td', {}, a.reason && !/^cb_/.test(a.reason)
					? a.reason : ''),
				h('td', {}, q ? customer(q) : a.callback ? 'a customer'
					: ''),
				actions.agentCell(a)), tick};
		});

		fill($('agents').tBodies[0], rows.map((r) => r.row));
		onTick('sup-agents', () => rows.forEach((r) => r.tick()));
	}

	async function refresh() {
		// a change told while a refresh is on its way: one more after
		if (loading) {
			again = true;
			return;
		}
		loading = true;
		again = false;
		try {
			last = await get('/agent/api/supervisor');
			fetchedAt = Date.now();
			renderFigures(last.figures || {});
			renderQueue(last.queue || [], last.agents || []);
			renderAgents(last.agents || [], last.queue || []);
			renderStates(last.agents || []);
			renderWebhooks(last.webhooks_failing || []);
			$('sup-at').textContent = new Date(fetchedAt)
				.toLocaleTimeString();
			renderNode(last.node, last.leader);
		} catch (e) {
			if (e.status !== 401)
				notify(`The supervisor view cannot be updated: ${
					e.message}`);
		} finally {
			loading = false;
			if (again && timer)
				refresh();
		}
	}

	return {
		start() {
			refresh();
			clearInterval(timer);
			timer = setInterval(() => {
				if (!document.hidden)
					refresh();
			}, POLL_MS);
		},
		stop() {
			listener.stop();
			clearInterval(timer);
			timer = 0;
			onTick('sup-queue', null);
			onTick('sup-agents', null);
		},
		refresh,
		// the live socket's listen_offer and listen_ended
		message: (msg) => listener.message(msg),
		running: () => !!timer,
	};
}
