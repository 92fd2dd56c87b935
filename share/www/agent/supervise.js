// What a supervisor can do from the supervisor view, and why each
// waiting callback waits: cancel, reschedule, move to the front or assign
// a waiting callback; put an agent away or log them out. Each action is
// a POST under /agent/api/supervisor/ (CSRF token from api.js); a
// callback that stopped waiting meanwhile answers 409, said in words,
// and the view is read again either way. A connected call can be
// listened to (createListener): the server's offer comes over the live
// socket, the page answers receive-only and plays the call in
// #sup-audio; nobody hears the supervisor.

import {api, post} from './api.js';
import {h, localToRfc3339, toLocalInput, when} from './dom.js';

// The ACD's reasons (acd_wait_name), in words; until is a time or null.
const WHY = {
	scheduled: (u) => `Scheduled for ${when(u)}`,
	retry_delay: (u) => `Retry delay, until ${when(u)}`,
	outside_hours: (u) => u ? `Outside hours, opens ${when(u)}`
		: 'Outside hours',
	no_dialer: () => 'No phone line: the dialer is down',
	no_agent_with_skill: () => 'No agent with the skill or team',
	no_agent_logged_in: () => 'No agent logged in',
	agents_away: () => 'The agents who could are away',
	all_agents_busy: () => 'All agents busy',
	all_agents_tried: (u) => u ? `Every agent had it; again at ${when(u)}`
		: 'Every agent had it',
	offered: (u) => `Offered, to accept by ${when(u)}`,
	next: () => 'Next for a free agent',
};

export function whyText(q) {
	const f = WHY[q.why];

	return f ? f(q.why_until) : '';
}

// Webhook endpoints stopped for failing: said above the queue until an
// administrator enables them again (GET .../webhooks, beckon webhook).
export function renderWebhooks(list) {
	let p = document.getElementById('sup-webhooks');

	if (!p) {
		p = h('p', {id: 'sup-webhooks', class: 'notice', role: 'status'});
		document.getElementById('sup-at').parentElement.after(p);
	}
	p.hidden = !list.length;
	p.textContent = list.map((w) => `Webhook ${w.id} of ${w.business} (${
		w.host}) is failing since ${when(w.failing_since)}: nothing is ` +
		'sent to it until an administrator enables it again.').join(' ');
}

// Waiting, so acted on: queued and not offered, or scheduled.
function waiting(q) {
	return (q.status === 'queued' && q.why !== 'offered') ||
		q.status === 'scheduled';
}

// A button that runs fn (handlers are never props: dom.js refuses them).
function button(label, props, fn) {
	const b = h('button', {type: 'button', ...props}, label);

	b.addEventListener('click', fn);
	return b;
}

// The dialer's reasons a listen ended, in words (the rest: as given).
const LISTEN_END = {
	listener_hangup: 'you stopped',
	customer_hangup: 'the customer hung up',
	agent_hangup: 'the agent hung up',
	no_answer: 'the page did not answer in time',
	refused: 'the call could not be listened to',
	incompatible: 'the browser refused the audio',
	media_failed: 'the audio failed (ICE or DTLS)',
	failed: 'the call was no longer connected',
};

// One call listened to at a time: {id, state: asking, connecting or
// listening, pc}. changed() re-renders the queue's buttons.
export function createListener({notify, send, changed}) {
	let cur = null;

	function audio() {
		return document.getElementById('sup-audio');
	}

	function close(id) {
		if (!cur || cur.id !== id)
			return;
		if (cur.pc)
			cur.pc.close();
		audio().srcObject = null;
		cur = null;
		changed();
	}

	async function start(id) {
		if (cur)
			stop();
		cur = {id, state: 'asking', pc: null};
		changed();
		try {
			await post(`/agent/api/supervisor/callbacks/${id}/listen`, {});
		} catch (e) {
			close(id);
			if (e.status !== 401)
				notify(`Cannot listen: ${e.message}`);
		}
	}

	function stop() {
		if (!cur)
			return;
		const {id} = cur;

		if (!send({type: 'listen_stop', id}))
			api('DELETE', `/agent/api/supervisor/callbacks/${id}/listen`)
				.catch(() => {});
		close(id);
	}

	// the dialer's offer: answered receive-only, played at once (the
	// click on Listen lets the page play audio)
	async function offer(msg) {
		if (!cur || cur.id !== msg.id || cur.pc)
			return;
		const c = cur;

		c.state = 'connecting';
		changed();
		try {
			const pc = new RTCPeerConnection({iceServers: []});

			c.pc = pc;
			pc.ontrack = (e) => {
				const a = audio();

				a.srcObject = new MediaStream([e.track]);
				a.play().catch((err) => notify('The browser would ' +
					`not play the call's audio: ${err.message}`));
			};
			pc.onconnectionstatechange = () => {
				if (cur !== c)
					return;
				if (pc.connectionState === 'connected') {
					c.state = 'listening';
					changed();
				} else if (pc.connectionState === 'failed') {
					notify('The call\u2019s audio cannot start ' +
						'(ICE or DTLS failed).');
					stop();
				}
			};
			await pc.setRemoteDescription({type: 'offer', sdp: msg.sdp});
			pc.getTransceivers().forEach((t) => {
				t.direction = 'recvonly';
			});
			await pc.setLocalDescription(await pc.createAnswer());
			if (pc.iceGatheringState !== 'complete')
				await new Promise((r) => pc.addEventListener(
					'icegatheringstatechange', () =>
						pc.iceGatheringState === 'complete' && r()));
			if (cur !== c)
				return;
			send({type: 'listen_answer', id: c.id,
				sdp: pc.localDescription.sdp});
		} catch (e) {
			notify(`The call's audio cannot start: ${e.message}`);
			stop();
		}
	}

	function message(msg) {
		if (msg.type === 'listen_offer') {
			offer(msg);
		} else if (msg.type === 'listen_ended' && cur &&
			   cur.id === msg.id) {
			if (msg.reason !== 'listener_hangup')
				notify(`Listening ended: ${LISTEN_END[msg.reason] ||
					msg.reason}.`);
			close(msg.id);
		}
	}

	return {start, stop, message, state: (id) =>
		cur && cur.id === id ? cur.state : null};
}

export function createActions({notify, refresh, customer, listener}) {
	let dialog = null;

	async function act(path, body, done) {
		try {
			await post(`/agent/api/supervisor/${path}`, body);
			notify(done);
		} catch (e) {
			// 409: it stopped waiting (or the agent is on a call)
			if (e.status !== 401)
				notify(`Not done: ${e.message}`);
		}
		refresh();
	}

	// One dialog for every question: a title, a field or none, and the
	// button that does it.
	function ask({title, field, confirm, onConfirm}) {
		if (!dialog) {
			dialog = h('dialog', {id: 'sup-dialog', class: 'card',
				'aria-labelledby': 'sup-dialog-h'});
			document.getElementById('sup').append(dialog);
		}
		const form = h('form', {method: 'dialog'},
			h('h3', {id: 'sup-dialog-h'}, title),
			field ? h('p', {}, field) : null,
			h('p', {class: 'actions'},
				h('button', {type: 'submit', value: 'ok',
					class: 'primary', id: 'sup-dialog-ok'}, confirm),
				h('button', {type: 'submit', value: 'no',
					formnovalidate: true}, 'Close')));

		form.addEventListener('submit', (ev) => {
			if (ev.submitter && ev.submitter.value === 'ok')
				onConfirm();
		});
		dialog.replaceChildren(form);
		dialog.showModal();
	}

	function cancel(q) {
		ask({title: `Cancel the callback of ${customer(q)}?`,
			confirm: 'Cancel the callback',
			onConfirm: () => act(`callbacks/${q.id}/cancel`, {},
				'Callback canceled.')});
	}

	function reschedule(q) {
		const later = new Date(Date.now() + 3600000);
		const input = h('input', {type: 'datetime-local',
			id: 'sup-when', required: true,
			min: toLocalInput(new Date()),
			value: toLocalInput(later)});

		ask({title: `Call ${customer(q)} at`,
			field: h('label', {}, 'Time ', input),
			confirm: 'Reschedule',
			onConfirm: () => act(`callbacks/${q.id}/reschedule`,
				{when: localToRfc3339(input.value)},
				'Callback rescheduled.')});
	}

	// To an agent of its business, or a team any of them is in.
	function assign(q, agents) {
		const mine = agents.filter((a) => (a.businesses || '')
			.split(' ').includes(q.business));
		const teams = [...new Set(mine.flatMap((a) =>
			(a.skills || '').split(' ').filter(Boolean)))].sort();
		const select = h('select', {id: 'sup-assign', required: true},
			h('optgroup', {label: 'Agent'}, mine.map((a) =>
				h('option', {value: `agent:${a.id}`},
					a.name || a.id))),
			h('optgroup', {label: 'Team'}, teams.map((t) =>
				h('option', {value: `team:${t}`}, t))));

		ask({title: `Assign the callback of ${customer(q)} to`,
			field: h('label', {}, 'Agent or team ', select),
			confirm: 'Assign',
			onConfirm: () => {
				const [kind, v] = select.value.split(/:(.*)/);

				act(`callbacks/${q.id}/assign`, {[kind]: v},
					'Callback assigned.');
			}});
	}

	// a connected call: Listen, or Stop while listening to it
	function listenCell(q) {
		const st = listener.state(q.id);
		const who = customer(q);

		if (!st)
			return h('td', {class: 'sup-actions'}, button('Listen',
				{'data-action': 'listen', 'aria-label':
					`Listen: ${who}`}, () => listener.start(q.id)));
		return h('td', {class: 'sup-actions'},
			h('span', {class: 'listen-state', 'data-listen': st,
				role: 'status'}, st === 'listening' ? 'Listening'
				: 'Connecting…'), ' ',
			button('Stop', {'data-action': 'listen-stop',
				'aria-label': `Stop listening: ${who}`},
			() => listener.stop()));
	}

	function queueCell(q, agents) {
		if (q.status === 'connected' && listener)
			return listenCell(q);
		if (!waiting(q))
			return h('td', {});
		const who = customer(q);
		const b = (label, what, fn) => button(label, {'data-action': what,
			'aria-label': `${label}: ${who}`}, fn);

		return h('td', {class: 'sup-actions'},
			b('Front', 'front', () => act(`callbacks/${q.id}/front`,
				{}, 'Moved to the front.')),
			b('Assign', 'assign', () => assign(q, agents)),
			b('Reschedule', 'reschedule', () => reschedule(q)),
			b('Cancel', 'cancel', () => cancel(q)));
	}

	function agentCell(a) {
		if (a.state === 'offline')
			return h('td', {});
		const name = a.name || a.id;
		const b = (label, state, done) => button(label, {
			'data-action': state, 'aria-label': `${label}: ${name}`},
		() => act(`agents/${a.id}/state`, {state}, `${name}: ${done}.`));

		return h('td', {class: 'sup-actions'},
			a.state !== 'away' ? b('Away', 'away', 'set away') : null,
			b('Log out', 'offline', 'logged out'));
	}

	return {queueCell, agentCell};
}
