// What a callback's status and events mean, in words an agent reads at
// a glance. Pure functions of the API's records (no DOM), so that the
// screen pop, the timeline and the history all say the same thing.

import {clock, money, toMs, when, words} from './dom.js';

export const FINAL = new Set(['completed', 'failed', 'abandoned',
	'canceled', 'interrupted']);
export const ACTIVE = new Set(['dialing', 'on_hold', 'connected']);

const REASONS = {
	agent_hangup: 'you hung up',
	customer_hangup: 'the customer hung up',
	system_hangup: 'hung up by beckon',
	busy: 'the line was busy',
	no_answer: 'nobody answered',
	declined: 'the call was declined',
	unreachable: 'the number could not be reached',
	canceled: 'the call was canceled',
	incompatible: 'the phones could not agree on audio',
	rejected: 'the call was rejected',
	media_timeout: 'the audio stopped',
	max_hold: 'the customer waited too long on hold',
	no_agent: 'no agent could take the call',
	no_human: 'an answering machine answered (nobody pressed 1)',
	interrupted: 'beckon was restarted',
	dialer_error: 'the dialer could not place the call',
};

// An agent leg that failed for a reason of the agent's phone (the ACD
// sets the agent away at once): what the timeline says of it.
const PHONE = {
	no_agent: 'the phone is not registered',
	unreachable: 'the phone could not be reached',
	incompatible: 'the phone refused the audio',
	rejected: 'the phone refused the call',
};

export function reasonWords(code, me) {
	if (!code)
		return '';
	if (code === 'agent_hangup' && me === false)
		return 'the agent hung up';

	return REASONS[code] || words(code).toLowerCase();
}

function lastOf(events, types) {
	for (let i = events.length - 1; i >= 0; i--) {
		if (types.includes(events[i].type))
			return events[i];
	}

	return null;
}

// {words, since, timer}: the live call state for the screen pop. since
// (ms) starts the running timer when there is one.
export function callState(cb, meId) {
	const ev = cb.events || [];
	const mine = !cb.agent || cb.agent === meId;

	switch (cb.status) {
	case 'queued':
		// agent first with Accept: offered, nothing dialed yet
		if (cb.agent && cb.agent === meId &&
		    lastOf(ev, ['offered']) === ev[ev.length - 1])
			return {words: 'Offered to you: nobody is called until ' +
				'you accept.'};
		return {words: 'Waiting in the queue for an agent.'};
	case 'scheduled': {
		const r = lastOf(ev, ['rescheduled']);
		const at = cb.scheduled_for ? when(cb.scheduled_for) : '';

		if (r && ev[ev.length - 1] === r)
			return {words: `Rescheduled: beckon calls back at ${at}` +
				`${r.data && r.data.by === meId
					? ', with you first' : ''}.`};
		return {words: `Scheduled: the call is placed at ${at}.`};
	}
	case 'dialing': {
		const last = ev[ev.length - 1];

		if (last && last.type === 'agent_ringing')
			return {words: 'Calling you: answer your phone.'};
		if (last && last.type === 'ringing')
			return {words: 'Calling the customer: their phone is ' +
				'ringing.'};
		return {words: 'Calling the customer…'};
	}
	case 'on_hold': {
		const held = lastOf(ev, ['answered']);
		const last = lastOf(ev, ['agent_ringing', 'offered',
			'agent_failed']);
		// only while an offer to this agent is live: an agent leg
		// that failed is over, whoever the callback shows
		const calling = last && last.type !== 'agent_failed' &&
			cb.agent && cb.agent === meId
			? ' Calling you: answer your phone.'
			: ' Waiting for an agent.';

		return {words: 'The customer answered and is listening to the ' +
			`hold message.${calling}`,
			since: held ? toMs(held.t) : 0, timer: 'on hold'};
	}
	case 'connected': {
		const b = lastOf(ev, ['bridged']);

		return {words: 'Connected: you are talking with the customer.',
			since: b ? toMs(b.t) : 0, timer: 'talking'};
	}
	case 'completed': {
		const e = lastOf(ev, ['ended']);
		const d = (e && e.data) || {};
		const talk = Number.isFinite(d.talk_s)
			? ` after ${clock(d.talk_s)}` : '';

		return {words: `Ended: ${reasonWords(d.reason ||
			cb.ended_reason, mine) || 'the call is over'}${talk}.`};
	}
	case 'abandoned':
		return {words: 'Ended: the customer hung up while on hold.'};
	case 'failed': {
		const e = lastOf(ev, ['failed']);
		const r = (e && e.data && e.data.reason) || cb.ended_reason;

		return {words: `Failed: ${reasonWords(r) || 'no more attempts'}.`};
	}
	case 'canceled':
		return {words: 'Canceled by the customer.'};
	case 'interrupted':
		return {words: 'Interrupted: beckon was restarted during the ' +
			'call.'};
	default:
		return {words: words(cb.status)};
	}
}

// One line of the timeline for an event.
export function eventWords(e, meId) {
	const d = e.data || {};
	const who = (a) => (a && a === meId ? 'you' : a || 'an agent');

	switch (e.type) {
	case 'created': return 'Asked to be called back';
	case 'queued': return 'In the queue';
	case 'dialing':
		return `Calling the customer${d.attempt
			? ` (attempt ${d.attempt})` : ''}`;
	case 'offered':
		return `Offered to ${who(d.agent)}${d.rule
			? ` (rule ${d.rule})` : ''}`;
	case 'ringing': return 'The customer\u2019s phone rang';
	case 'answered': return 'The customer answered: hold message';
	case 'agent_ringing': return 'The agent\u2019s phone rang';
	case 'agent_answered': return 'The agent answered';
	case 'bridged': return 'Connected';
	case 'ended':
		return `Ended: ${reasonWords(d.reason, true) || 'over'}` +
			`${Number.isFinite(d.talk_s)
				? ` (talked ${clock(d.talk_s)})` : ''}`;
	case 'accepted': return `Accepted by ${who(d.agent)}`;
	case 'declined': return `Declined by ${who(d.agent)}`;
	case 'offer_timeout':
		return `Not accepted in time by ${who(d.agent)}`;
	case 'rescheduled':
		return `Rescheduled by ${who(d.by)} for ${when(d.at)}`;
	case 'retry_scheduled':
		return `Retry later: ${reasonWords(d.reason) || 'no answer'}`;
	case 'requeued':
		return `Back in the queue: ${reasonWords(d.reason) ||
			'no agent'}`;
	case 'agent_failed':
		if (PHONE[d.reason])
			return `${who(d.agent) === 'you' ? 'Your' : `${who(
				d.agent)}\u2019s`} phone could not take it: ` +
				`${PHONE[d.reason]}${d.sip ? ` (SIP ${d.sip})` : ''}`;
		return `${who(d.agent)} did not take it` +
			`${d.reason ? `: ${reasonWords(d.reason)}` : ''}`;
	case 'failed':
		return `Failed: ${reasonWords(d.reason) || 'no more attempts'}`;
	case 'abandoned':
		return 'The customer hung up while on hold';
	case 'canceled': return 'Canceled by the customer';
	case 'interrupted': return 'Interrupted by a restart';
	case 'wrap_up':
		return `Wrap-up by ${who(d.agent)}: ${words(d.disposition)}`;
	default:
		return words(e.type);
	}
}

export function wrapupOf(cb) {
	return cb.outcome || lastOf(cb.events || [], ['wrap_up']);
}

// "Sale: Bike × 2, 499.90 USD (order A-17)": the recorded outcome of a
// callback (the API's "outcome" object) in one line.
export function outcomeWords(o) {
	if (!o || !o.disposition)
		return '';
	let s = words(o.disposition);
	const parts = [];

	if (o.product)
		parts.push(o.quantity > 1 ? `${o.product} \u00d7 ${o.quantity}`
			: o.product);
	else if (o.quantity)
		parts.push(`quantity ${o.quantity}`);
	if (o.amount_cents)
		parts.push(money(o.amount_cents, o.currency));
	if (parts.length)
		s += `: ${parts.join(', ')}`;
	if (o.order_ref)
		s += ` (order ${o.order_ref})`;

	return s;
}

// [how it ended, what an earlier attempt met] for the customer's history:
// ended_reason is the last attempt's reason, which for a request the
// customer canceled later is another outcome than the cancel: said apart.
export function historyWords(o, meId) {
	const r = o.ended_reason;

	if (o.status === 'completed')
		return [`Talked${r ? ` (${reasonWords(r, o.agent === meId)})`
			: ''}`, ''];
	if (o.status === 'canceled' || o.status === 'interrupted')
		return [o.status === 'canceled' ? 'Canceled by the customer'
			: 'Interrupted by a restart', r && r !== o.status &&
			o.attempts > 0 ? `Earlier attempt: ${reasonWords(r)}.` : ''];

	return [words(o.status) + (r && r !== o.status
		? `: ${reasonWords(r)}` : ''), ''];
}

// Did this agent talk with the customer on this callback, with no
// outcome recorded yet? Then the wrap-up form is due.
export function needsWrapup(cb, meId) {
	const ev = cb.events || [];

	return cb.agent === meId && cb.status !== 'connected' &&
		ev.some((e) => e.type === 'bridged') && !wrapupOf(cb);
}
