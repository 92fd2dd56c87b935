// The agent's desk: presence, the screen pop (the callback, the page the
// customer was reading, what happened before), call control and the
// wrap-up form.
//
// The server is the only source of truth: sync(me) is handed the latest
// GET /agent/api/me and re-reads the callback on show, so it can be
// called any number of times, in any order, after any reconnect. Loads
// are numbered and a late answer to an older load is dropped.

import {get, post} from './api.js';
import {$, ago, clock, duration, fill, h, link, localToRfc3339, onTick,
	phone, safeUrl, toLocalInput, toMs, when, words} from './dom.js';
import {ACTIVE, FINAL, callState, eventWords, historyWords, needsWrapup,
	outcomeWords, reasonWords, wrapupOf} from './calls.js';

const ID_RE = /^cb_[0-9a-f]{12}[A-Za-z0-9_-]{22}$/;
const FRAME_TIMEOUT_MS = 8000;

const STATE_WORDS = {
	offline: 'Offline',
	available: 'Available',
	away: 'Away',
	offered: 'Reserved for a callback',
	on_call: 'On a call',
	wrap_up: 'Wrap-up',
};

export function createDesk({notify, deskPhone}) {
	let me = null;             // the last /agent/api/me
	let shown = null;          // {id, cb, history}
	let seq = 0;               // numbering of callback loads
	let lastState = '';
	let stateSince = 0;
	let frameFor = '';         // the page URL the iframe shows
	let formFor = '';          // the callback the wrap-up form is for
	let lastWords = '';
	const wrapped = new Set(); // saved here, before the event shows
	const businessNames = new Map();
	let pending = new Map();   // callbacks whose wrap-up is due: label

	const agentId = () => (me ? me.agent.id : '');
	const pendingKey = () => `beckon.pending.${agentId()}`;

	// ---- presence ----

	function renderPresence() {
		const st = me.agent.state || 'offline';

		if (st !== lastState) {
			// the store's state_since can lag the live state by a
			// moment: trust it only when it is newer than what we saw
			const s = Number(me.agent.state_since) || 0;

			stateSince = lastState && s < stateSince ? Date.now()
				: s || Date.now();
			lastState = st;
		}

		const badge = $('state-badge');
		badge.textContent = STATE_WORDS[st] || words(st);
		badge.dataset.state = st;

		const busy = st === 'offered' || st === 'on_call';
		for (const r of document.querySelectorAll(
			'input[name=presence]')) {
			r.checked = r.value === st;
			r.disabled = busy;
		}
		$('presence-switch').title = busy
			? 'You can change this after the call' : '';
		$('ready').hidden = st !== 'wrap_up';
		$('me-name').textContent = me.agent.name || me.agent.id;
		renderPhoneNote(st);
		renderIdle();
	}

	// No call is routed to an agent whose phone cannot be called: say
	// so while available, and why beckon set them away (a phone that
	// failed an offer), with the way back.
	function renderPhoneNote(st) {
		const why = me.agent.state_reason || '';
		let text = '';

		if (st === 'away' && why && why !== 'by the agent')
			text = `beckon set you away: ${why}. ` +
				(why.startsWith('your phone')
					? 'Check your phone, then choose Available.'
					: 'Choose Available when you are back.');
		else if (st === 'available' && me.agent.phone_reachable === false)
			text = deskPhone.isDesk()
				? 'Your phone is this desk and it is not ready: ' +
				  'allow the microphone.'
				: 'Your phone is not registered: no calls come to ' +
				  'you until it is. Start your softphone.';
		$('phone-note').textContent = text;
		$('phone-note').hidden = !text;
	}

	function tickPresence() {
		$('state-for').textContent = stateSince
			? `for ${duration((Date.now() - stateSince) / 1000)}` : '';
	}

	async function setPresence(state) {
		try {
			// the desk is the phone: the microphone first
			if (state === 'available' && deskPhone.isDesk() &&
			    !deskPhone.isReady())
				await deskPhone.enable();
			await sync(await post('/agent/api/state', {state}));
		} catch (e) {
			notify(e.code === 'agent_busy'
				? 'Finish the current call first.' : e.message);
			if (me)
				renderPresence();
		}
	}

	async function ready() {
		try {
			await sync(await post('/agent/api/ready'));
		} catch (e) {
			notify(e.message);
		}
	}

	// ---- the idle screen and the pending wrap-ups ----

	function renderIdle() {
		const st = me ? me.agent.state : 'offline';

		$('idle').hidden = !!shown;
		$('idle-text').textContent = st === 'available'
			? 'You are available: a callback pops up here the moment ' +
			  'it comes your way.'
			: 'Set yourself available to receive callbacks.';

		const others = [...pending].filter(([id]) => !shown ||
			id !== shown.id);
		fill($('pending-list'), others.map(([id, label]) => h('li', {},
			button(`Finish the wrap-up: ${label}`, () => show(id, true),
				'link-button'))));
		$('pending').hidden = !others.length;
	}

	function savePending() {
		try {
			sessionStorage.setItem(pendingKey(),
				JSON.stringify([...pending]));
		} catch {
			// private mode: kept in memory only
		}
	}

	function loadPending() {
		try {
			const v = JSON.parse(sessionStorage.getItem(pendingKey()) ||
				'[]');
			pending = new Map(v.filter((e) => Array.isArray(e) &&
				ID_RE.test(e[0])).map(([id, l]) => [id, String(l)]));
		} catch {
			pending = new Map();
		}
	}

	// ---- loading a callback ----

	// The callback this agent is busy with: the ACD's, or in wrap-up the
	// one just ended (its id is the state's reason).
	function activeOf(m) {
		if (m.callback)
			return m.callback;
		if (m.agent.state === 'wrap_up' && ID_RE.test(m.agent.state_reason))
			return m.agent.state_reason;

		return null;
	}

	async function sync(m, hint) {
		me = m;
		renderPresence();

		const target = activeOf(m) || (hint && ID_RE.test(hint) ? hint
			: null);

		if (target) {
			await show(target, false);
		} else if (shown) {
			await show(shown.id, false);
			// declined, or given to someone else: not this desk's
			if (shown && shown.cb.agent !== agentId() &&
			    !pending.has(shown.id))
				close();
		} else {
			renderIdle();
		}
	}

	async function show(id, focus) {
		const n = ++seq;
		let data;

		try {
			data = await get(`/agent/api/callbacks/${id}`);
		} catch (e) {
			if (e.status === 404 && shown && shown.id === id)
				close();
			else if (e.status !== 401)
				notify(`The callback cannot be shown: ${e.message}`);
			return;
		}
		if (n !== seq)
			return;

		const isNew = !shown || shown.id !== id;
		if (isNew && shown && needsWrapup(shown.cb, agentId()) &&
		    !wrapped.has(shown.id)) {
			pending.set(shown.id, `${shown.cb.name ||
				phone(shown.cb.phone, shown.cb.business)}, ` +
				when(shown.cb.created_at));
			savePending();
		}

		shown = {id, cb: data.callback, history: data.history || [],
			dialMode: data.dial_mode || '',
			ringS: Number(data.ring_timeout_s) || 0,
			// an offer waiting for Accept: its end by this clock, from
			// the time left by the server's
			acceptUntil: data.offer && Number.isFinite(data.offer.left_ms)
				? Date.now() + data.offer.left_ms : 0};
		render(isNew);
		if (isNew && (focus || ACTIVE.has(shown.cb.status)))
			$('pop-h').focus();
	}

	function close() {
		shown = null;
		formFor = '';
		frameFor = '';
		lastWords = '';
		$('pop').hidden = true;
		$('page-panel').hidden = true;
		fill($('frame-box'));
		onTick('call', null);
		onTick('asked', null);
		onTick('offer', null);
		renderIdle();
	}

	// ---- the screen pop ----

	function render(isNew) {
		const cb = shown.cb;

		$('pop').hidden = false;
		renderIdle();
		fill($('pop-h'), cb.name ? `Callback: ${cb.name}`
			: `Callback: ${phone(cb.phone, cb.business)}`);
		renderFacts(cb);
		renderState(cb);
		renderOffer(cb);
		renderControls(cb, isNew);
		renderWrapup(cb);
		renderOutcome(cb);
		renderTimeline(cb);
		renderHistory(shown.history);
		renderPage(cb);
	}

	function renderFacts(cb) {
		$('f-phone').textContent = phone(cb.phone, cb.business);
		$('f-phone').title = cb.phone;
		$('f-name').textContent = cb.name || '—';
		businessName(cb.business).then((name) => {
			if (shown && shown.cb === cb)
				$('f-business').textContent = name;
		});
		const asked = () => {
			let s = `${when(cb.created_at)} (${ago(cb.created_at)})`;

			if (cb.scheduled_for)
				s += `, to be called at ${when(cb.scheduled_for)}`;
			$('f-asked').textContent = s;
		};
		asked();
		onTick('asked', asked);
		$('f-attempt').textContent = cb.attempts
			? `${cb.attempts}${cb.attempts > 1 ? ' (called before)' : ''}`
			: 'not called yet';
		$('f-note').textContent = cb.note || '—';

		const page = $('f-page');
		if (!cb.page_url && !cb.page_title) {
			fill(page, '—');
		} else {
			fill(page,
				cb.page_title ? h('span', {class: 'title'},
					cb.page_title) : null,
				cb.page_url ? h('span', {class: 'url'},
					link(cb.page_url)) : null,
				cb.page_url && !safeUrl(cb.page_url)
					? h('span', {class: 'muted'},
						' (not a web address)') : null);
		}
	}

	function renderState(cb) {
		const st = callState(cb, agentId());
		const box = document.querySelector('.callstate');

		box.dataset.status = cb.status;
		// only a change is announced to screen readers
		if (st.words !== lastWords) {
			$('call-words').textContent = st.words;
			lastWords = st.words;
		}
		const timer = $('call-timer');
		if (st.since) {
			const tick = () => {
				timer.textContent = `${st.timer} ` +
					clock((Date.now() - st.since) / 1000);
			};
			tick();
			onTick('call', tick);
		} else {
			onTick('call', null);
			timer.textContent = '';
		}
	}

	function renderControls(cb, isNew) {
		const mine = cb.agent === agentId();
		const active = mine && ACTIVE.has(cb.status);

		$('controls').hidden = !active;
		// an ended call stays on screen until the next one or Close;
		// one gone to another agent (or to nobody) may be closed now
		$('close-pop').hidden = active || acceptOpen(cb) ||
			(needsWrapup(cb, agentId()) && !wrapped.has(cb.id));
		$('hangup').disabled = !active;
		$('resched').disabled = !(mine && cb.status === 'connected');
		$('resched-when').disabled = !(mine && cb.status === 'connected');
		if (isNew) {
			$('control-msg').textContent = '';
			const later = new Date(Date.now() + 3600e3);
			later.setMinutes(0);
			$('resched-when').value = toLocalInput(later);
		}
		$('resched-when').min = toLocalInput(new Date());
	}

	// Agent first with the business's accept_timeout: nothing is dialed
	// until the agent presses Accept; Decline, or the countdown running
	// out (a missed offer), gives the callback to the next agent.
	function acceptOpen(cb) {
		return shown.acceptUntil > 0 && cb.status === 'queued' &&
			cb.agent === agentId() && me && me.agent.state === 'offered' &&
			me.callback === cb.id;
	}

	// Agent first: the agent's phone rings before the customer is
	// called. Answering the phone accepts; Decline gives the callback to
	// another agent at once (no attempt spent, not a missed offer). The
	// countdown is the ring time left.
	function offerOpen(cb) {
		const ev = cb.events || [];
		let i = ev.length - 1;

		while (i >= 0 && ev[i].type !== 'offered')
			i--;
		if (i < 0 || shown.dialMode !== 'agent_first' ||
		    cb.status !== 'dialing' || cb.agent !== agentId() ||
		    !me || me.agent.state !== 'offered')
			return 0;
		for (let j = i; j < ev.length; j++) {
			if (['agent_answered', 'agent_failed', 'ringing',
				'answered'].includes(ev[j].type))
				return 0;
		}

		return toMs(ev[i].t) || Date.now();
	}

	function renderAccept() {
		const box = $('offer');
		const wasHidden = box.hidden || $('accept').hidden;

		box.hidden = false;
		$('accept').hidden = false;
		$('offer-words').textContent = 'A callback for you: accept it ' +
			'and beckon calls your phone, then the customer; or decline ' +
			'it for another agent.';
		const tick = () => {
			const left = shown ? Math.max(0,
				(shown.acceptUntil - Date.now()) / 1000) : 0;
			const over = left <= 0;

			$('offer-count').textContent = over
				? 'Time is up: the callback goes to another agent.'
				: `Accept within ${clock(Math.ceil(left))}`;
			$('accept').disabled = over;
			$('decline').disabled = over;
		};
		tick();
		onTick('offer', tick);
		if (wasHidden)
			$('accept').focus();
	}

	function renderOffer(cb) {
		if (acceptOpen(cb)) {
			renderAccept();
			return;
		}
		$('accept').hidden = true;
		$('offer-words').textContent = 'Your phone is ringing: answer ' +
			'it to take this callback, or decline it for another agent.';

		const since = offerOpen(cb);
		const box = $('offer');

		if (!since) {
			box.hidden = true;
			onTick('offer', null);
			return;
		}
		const wasHidden = box.hidden;
		box.hidden = false;
		$('decline').disabled = false;
		const tick = () => {
			const left = shown && shown.ringS
				? Math.max(0, shown.ringS - (Date.now() - since) / 1000)
				: 0;

			$('offer-count').textContent = shown && shown.ringS
				? `Rings for ${clock(left)} more` : '';
		};
		tick();
		onTick('offer', tick);
		if (wasHidden)
			$('decline').focus();
	}

	async function accept() {
		if (!shown)
			return;
		$('accept').disabled = true;
		$('decline').disabled = true;
		try {
			await post(`/agent/api/callbacks/${shown.id}/accept`);
			shown.acceptUntil = 0;
			onTick('offer', null);
			$('offer').hidden = true;
			$('accept').hidden = true;
			$('control-msg').textContent = 'Accepted: beckon calls your ' +
				'phone now.';
			$('pop-h').focus();
		} catch (e) {
			$('control-msg').textContent = e.code === 'not_acceptable'
				? 'Too late: the offer is over.' : e.message;
		}
	}

	async function decline() {
		if (!shown)
			return;
		$('decline').disabled = true;
		try {
			await post(`/agent/api/callbacks/${shown.id}/decline`);
			$('control-msg').textContent = 'Declined: the callback goes ' +
				'to another agent.';
		} catch (e) {
			$('control-msg').textContent = e.code === 'not_declinable'
				? 'Too late to decline: the call is under way.'
				: e.message;
		}
	}

	async function hangup() {
		if (!shown)
			return;
		$('hangup').disabled = true;
		$('control-msg').textContent = 'Hanging up…';
		try {
			await post(`/agent/api/callbacks/${shown.id}/hangup`);
		} catch (e) {
			$('control-msg').textContent = e.code === 'no_call'
				? 'There is no call to hang up.' : e.message;
			$('hangup').disabled = false;
		}
	}

	async function reschedule(ev) {
		ev.preventDefault();
		if (!shown)
			return;
		const when_ = localToRfc3339($('resched-when').value);

		if (!when_ || toMs(when_) <= Date.now()) {
			$('control-msg').textContent = 'Pick a time in the future.';
			$('resched-when').focus();
			return;
		}
		try {
			await post(`/agent/api/callbacks/${shown.id}/reschedule`,
				{when: when_});
			$('control-msg').textContent = 'When you hang up, beckon ' +
				`calls back at ${when(when_)}, with you first.`;
		} catch (e) {
			$('control-msg').textContent = e.code === 'not_connected'
				? 'Reschedule during the call.' : e.message;
		}
	}

	// ---- wrap-up ----

	function renderWrapup(cb) {
		const form = $('wrapup');
		const due = needsWrapup(cb, agentId()) && !wrapped.has(cb.id);
		const wasHidden = form.hidden;

		form.hidden = !due;
		if (!due)
			return;
		if (formFor !== cb.id) {
			// a new form; never reset one the agent is filling in
			formFor = cb.id;
			form.reset();
			$('wrapup-error').textContent = '';
			const list = (me.dispositions || {})[cb.business] || [];
			fill($('w-disp'), h('option', {value: ''}, 'Choose…'),
				list.map((d) => h('option', {value: d}, words(d))));
			saleFields();
		}
		if (wasHidden && document.activeElement === document.body)
			$('w-disp').focus();
	}

	function saleFields() {
		$('w-sale').hidden = $('w-disp').value !== 'sale';
	}

	function wrapupBody(ready) {
		const v = (id) => $(id).value.trim();
		const body = {disposition: v('w-disp'), notes: v('w-notes'),
			ready};

		if (body.disposition === 'sale') {
			body.product = v('w-product');
			body.quantity = v('w-qty');
			body.amount = v('w-amount');
			body.currency = v('w-cur').toUpperCase();
			body.order_ref = v('w-ref');
		}
		if (v('w-follow'))
			body.follow_up = localToRfc3339(v('w-follow'));

		return body;
	}

	// The checks the server makes, first here, with the field named.
	function wrapupProblem(b) {
		if (!b.disposition)
			return ['w-disp', 'Choose the outcome.'];
		if (b.quantity && !/^\d{1,7}$/.test(b.quantity))
			return ['w-qty', 'The quantity is a whole number.'];
		// the amount's forms are the server's to judge (one parser,
		// api_parse_amount): only what can never be one is caught here
		if (b.amount && !/^[\d\s.,'\u00a0\u202f]+$/.test(b.amount))
			return ['w-amount', AMOUNT_FORMS];
		if (b.amount && !/^[A-Z]{3}$/.test(b.currency || ''))
			return ['w-cur', 'The currency is a code like USD.'];
		if (b.follow_up && toMs(b.follow_up) <= Date.now())
			return ['w-follow', 'The follow-up is in the future.'];

		return null;
	}

	const AMOUNT_FORMS = 'The amount is written like 1499, 1499.90, ' +
		'1,499.90 or 1.499,90 (at most 2 decimals).';

	const FIELD_IDS = {disposition: 'w-disp', product: 'w-product',
		quantity: 'w-qty', amount: 'w-amount', currency: 'w-cur',
		order_ref: 'w-ref', notes: 'w-notes', follow_up: 'w-follow'};

	async function saveWrapup(ev) {
		ev.preventDefault();
		if (!shown)
			return;
		const id = shown.id;
		const readyToo = !ev.submitter || ev.submitter.value === 'ready';
		const body = wrapupBody(readyToo);
		const bad = wrapupProblem(body);

		if (bad) {
			$('wrapup-error').textContent = bad[1];
			$(bad[0]).focus();
			return;
		}
		for (const b of $('wrapup').querySelectorAll('button'))
			b.disabled = true;
		try {
			await post(`/agent/api/callbacks/${id}/wrapup`, body);
			wrapped.add(id);
			pending.delete(id);
			savePending();
			$('control-msg').textContent = `Saved: ${summary(body)}.`;
			$('wrapup').hidden = true;
			$('pop-h').focus();
			await show(id, false);
		} catch (e) {
			if (e.code === 'already_recorded') {
				wrapped.add(id);
				pending.delete(id);
				savePending();
				$('wrapup').hidden = true;
			}
			$('wrapup-error').textContent = e.message;
			const f = e.field && FIELD_IDS[e.field];
			if (f)
				$(f).focus();
		} finally {
			for (const b of $('wrapup').querySelectorAll('button'))
				b.disabled = false;
		}
	}

	function summary(b) {
		let s = words(b.disposition);

		if (b.product)
			s += `, ${b.product}`;
		if (b.quantity)
			s += ` × ${b.quantity}`;
		if (b.amount)
			s += `, ${b.amount} ${b.currency}`;
		if (b.follow_up)
			s += `, follow-up at ${when(b.follow_up)}`;

		return s;
	}

	// What was recorded for the callback on screen (after a save, or
	// by whoever wrapped it up before).
	function renderOutcome(cb) {
		const o = cb.outcome;

		$('outcome').hidden = !o;
		if (!o)
			return;
		$('outcome-line').textContent = outcomeWords(o);
		$('outcome-notes').textContent = o.notes ? `Notes: ${o.notes}`
			: '';
		$('outcome-by').textContent = `By ${o.agent === agentId()
			? 'you' : o.agent || 'an agent'}${o.t ? `, ${when(o.t)}`
			: ''}`;
	}

	// ---- timeline and history ----

	function renderTimeline(cb) {
		fill($('timeline'), (cb.events || []).map((e) =>
			h('li', {'data-type': e.type},
				h('time', {datetime: e.t}, when(e.t)), ' ',
				eventWords(e, agentId()))));
	}

	function historyItem(o) {
		const outcome = h('div', {class: 'outcome'});
		const details = h('details', {},
			h('summary', {}, 'Timeline and outcome'), outcome);

		details.addEventListener('toggle', () => {
			if (details.open && !outcome.childNodes.length)
				loadOutcome(o.id, outcome);
		});

		const [st, earlier] = historyWords(o, agentId());

		const oc = o.outcome;

		return h('li', {'data-id': o.id, 'data-status': o.status},
			h('p', {class: 'h-head'},
				h('time', {datetime: o.created_at},
					when(o.created_at)), ' · ',
				h('strong', {}, st),
				o.agent ? ` · with ${o.agent === agentId() ? 'you'
					: o.agent}` : ''),
			earlier ? h('p', {class: 'h-earlier'}, earlier) : null,
			oc ? h('p', {class: 'h-outcome'}, 'Outcome: ',
				outcomeWords(oc), ` (${oc.agent === agentId()
					? 'you' : oc.agent || 'an agent'})`) : null,
			oc && oc.notes ? h('p', {class: 'note'}, 'Agent\u2019s ' +
				'notes: ', oc.notes) : null,
			o.name ? h('p', {}, 'Name: ', o.name) : null,
			o.note ? h('p', {class: 'note'}, 'Note: ', o.note) : null,
			o.page_url || o.page_title ? h('p', {class: 'h-page'},
				'Page: ', o.page_title ? `${o.page_title} ` : '',
				o.page_url ? link(o.page_url) : null) : null,
			details);
	}

	async function loadOutcome(id, box) {
		fill(box, 'Loading…');
		try {
			const d = await get(`/agent/api/callbacks/${id}`);
			const w = wrapupOf(d.callback);

			fill(box,
				w ? null : h('p', {}, 'No outcome recorded.'),
				h('ol', {class: 'timeline'}, (d.callback.events || [])
					.map((e) => h('li', {}, h('time',
						{datetime: e.t}, when(e.t)), ' ',
						eventWords(e, agentId())))));
		} catch (e) {
			fill(box, `Not available: ${e.message}`);
		}
	}

	function renderHistory(list) {
		// keep open <details> across refreshes: rebuild only on change
		const key = list.map((o) => `${o.id}:${o.status}:${
			o.outcome ? o.outcome.t : ''}`).join(' ');
		const ol = $('history');

		if (ol.dataset.key === key)
			return;
		ol.dataset.key = key;
		fill(ol, list.map(historyItem));
		$('history-none').hidden = list.length > 0;
	}

	// ---- the customer's page ----

	// A sandboxed frame with no scripts, forms, pop-ups or same-origin
	// rights: a hostile page can show itself and nothing more. A site
	// that forbids framing (X-Frame-Options, frame-ancestors) leaves the
	// frame blank, and the browser deliberately hides that from this
	// page ("load" fires all the same, and a sandboxed frame cannot be
	// looked into), so the panel always says so next to a link that
	// opens the page in a tab of its own; a frame that does not load at
	// all within a few seconds is reported as such.
	function renderPage(cb) {
		const url = safeUrl(cb.page_url);
		const panel = $('page-panel');

		panel.hidden = false;
		if (frameFor === (url || '') && frameFor)
			return;
		frameFor = url || '';

		fill($('page-link'), url ? link(url, cb.page_title || url)
			: cb.page_url ? 'The page address given is not a web ' +
			  'address, so it is not shown.'
			: 'No web page was given with this callback.');
		const status = $('page-status');
		const open = $('page-open');

		if (!url) {
			status.textContent = '';
			open.hidden = true;
			fill($('frame-box'));
			return;
		}

		const a = link(url, 'Open the page in a new tab');
		a.setAttribute('class', 'open-page');
		fill(open, a);
		open.hidden = false;

		const frame = h('iframe', {
			sandbox: '',
			referrerpolicy: 'no-referrer',
			allow: '',
			credentialless: true,
			loading: 'eager',
			title: `The customer's page: ${cb.page_title || url}`,
		});
		let loaded = false;
		const timer = setTimeout(() => {
			if (!loaded && frameFor === url)
				status.textContent = 'The page did not load here: the ' +
					'site is slow or unreachable. Try the link.';
		}, FRAME_TIMEOUT_MS);
		frame.addEventListener('load', () => {
			loaded = true;
			clearTimeout(timer);
			if (frameFor === url)
				status.textContent = 'Shown without its scripts, so it ' +
					'may look different. Blank or an error below? The ' +
					'site does not allow being shown inside another ' +
					'page: open it with the link.';
		});
		status.textContent = 'Loading the page…';
		frame.src = url;
		fill($('frame-box'), frame);
	}

	// ---- businesses' names (public, cached) ----

	async function businessName(id) {
		if (!businessNames.has(id)) {
			businessNames.set(id, get(`/v1/businesses/${
				encodeURIComponent(id)}`)
				.then((b) => (b && b.name ? `${b.name} (${id})` : id))
				.catch(() => id));
		}

		return businessNames.get(id);
	}

	function button(text, fn, cls) {
		const b = h('button', {type: 'button', class: cls}, text);

		b.addEventListener('click', fn);

		return b;
	}

	// ---- wiring ----

	// Presence: only an explicit choice saves. Arrow keys move through
	// a radio group checking each state passed; those are not choices
	// until Enter or Space, and leaving the group puts the saved one
	// back. A click (or a tap) is a choice.
	let arrowed = false;
	for (const r of document.querySelectorAll('input[name=presence]')) {
		r.addEventListener('keydown', (e) => {
			arrowed = e.key.startsWith('Arrow');
			if ((e.key === 'Enter' || e.key === ' ') && me &&
			    r.value !== me.agent.state) {
				e.preventDefault();
				r.checked = true;
				setPresence(r.value);
			}
		});
		r.addEventListener('change', () => {
			if (r.checked && !arrowed)
				setPresence(r.value);
			$('presence-hint').hidden = !arrowed;
			arrowed = false;
		});
	}
	$('presence-switch').addEventListener('focusout', (e) => {
		if (me && !$('presence-switch').contains(e.relatedTarget)) {
			$('presence-hint').hidden = true;
			renderPresence();
		}
	});
	$('ready').addEventListener('click', ready);
	$('hangup').addEventListener('click', hangup);
	$('accept').addEventListener('click', accept);
	$('decline').addEventListener('click', decline);
	$('close-pop').addEventListener('click', () => {
		close();
		$('idle-h').focus();
	});
	$('resched-form').addEventListener('submit', reschedule);
	$('wrapup').addEventListener('submit', saveWrapup);
	$('w-disp').addEventListener('change', saleFields);
	$('w-cur').addEventListener('change', () => {
		$('w-cur').value = $('w-cur').value.toUpperCase();
	});

	return {
		start(m) {
			me = m;
			lastState = '';
			loadPending();
			onTick('presence', tickPresence);
			return sync(m);
		},
		sync,
		async refresh(hint) {
			return sync(await get('/agent/api/me'), hint);
		},
		stop() {
			close();
			me = null;
			wrapped.clear();
			onTick('presence', null);
		},
		busy: () => !!(me && ['offered', 'on_call'].includes(
			me.agent.state)),
		state: () => (me ? me.agent.state : 'offline'),
		final: () => !!(shown && FINAL.has(shown.cb.status)),
	};
}
