// beckon's agent desk: log-in, the live channel, and the two views (the
// desk every agent has, the supervisor's for supervisors and admins).
// Plain ES modules, no build step; the server's Content-Security-Policy
// allows only these files, so nothing here uses inline code or eval.

import {ApiError, get, post, setCsrf, setLoggedOutHandler} from './api.js';
import {$, setCountries} from './dom.js';
import {Live} from './live.js';
import {createDesk} from './desk.js';
import {createPhone} from './phone.js';
import {createSupervisor} from './supervisor.js';
import './reports.js';    // the supervisor's Reports and Find callbacks

let me = null;
let noticeTimer = 0;

function notify(text) {
	const n = $('notice');

	n.textContent = text;
	n.hidden = !text;
	clearTimeout(noticeTimer);
	if (text)
		noticeTimer = setTimeout(() => notify(''), 10000);
}

// the live channel carries the desk phone's signalling (phone.js)
let live = null;
const phone = createPhone({notify, send: (m) => live.send(m)});
const desk = createDesk({notify, deskPhone: phone});
const sup = createSupervisor({notify, send: (m) => live.send(m)});

// Each live message says "something changed": re-read, once at a time
// (a burst of messages becomes one more sync after the current one).
let syncing = null;
let again = false;
let hint = null;

async function resync(h) {
	if (h)
		hint = h;
	if (syncing) {
		again = true;
		return syncing;
	}
	syncing = (async () => {
		do {
			again = false;
			const hh = hint;
			hint = null;
			try {
				me = await get('/agent/api/me');
				setCsrf(me.csrf);
				await phone.sync(me);
				await desk.sync(me, hh);
			} catch (e) {
				if (!(e instanceof ApiError) || e.status !== 401)
					notify(e.message);
			}
		} while (again);
		syncing = null;
	})();

	return syncing;
}

const LIVE_WORDS = {live: 'live', connecting: 'connecting…',
	reconnecting: 'reconnecting…', off: 'offline'};

live = new Live({
	onMessage(msg) {
		resync(msg.callback);
	},
	onPhone(msg) {
		if (/^listen_/.test(msg.type))
			sup.message(msg);
		else
			phone.message(msg);
	},
	// the queue or an agent changed (supervisors only, at most twice a
	// second): the supervisor view asks again
	onQueue() {
		if (sup.running())
			sup.refresh();
	},
	// after every (re)connect: the full state, whatever was missed
	onOpen() {
		phone.online();
		resync();
		if (sup.running())
			sup.refresh();
	},
	onStatus(state, retryMs) {
		const el = $('live');

		el.dataset.live = state;
		el.textContent = state === 'reconnecting' && retryMs
			? `reconnecting in ${Math.ceil(retryMs / 1000)} s`
			: LIVE_WORDS[state] || state;
		el.title = state === 'live' ? 'Live updates are on'
			: 'Live updates are off; the page catches up when they ' +
			  'are back';
	},
});

// ---- views ----

function showView(name) {
	const supOn = name === 'sup';

	$('desk').hidden = supOn;
	$('sup').hidden = !supOn;
	$('view-desk').setAttribute('aria-current', supOn ? 'false' : 'page');
	$('view-sup').setAttribute('aria-current', supOn ? 'page' : 'false');
	if (supOn) {
		sup.start();
		$('sup-h').focus();
	} else {
		sup.stop();
	}
	if (location.hash !== (supOn ? '#supervisor' : ''))
		history.replaceState(null, '', supOn ? '#supervisor'
			: location.pathname);
}

function isSupervisor(role) {
	return role === 'supervisor' || role === 'admin';
}

// ---- log-in and out ----

function showLogin(message) {
	me = null;
	live.stop();
	sup.stop();
	desk.stop();
	setCsrf('');
	for (const id of ['presence', 'views', 'who', 'desk', 'sup'])
		$(id).hidden = true;
	$('login').hidden = false;
	$('login-error').textContent = message || '';
	$('login-password').value = '';
	$('login-name').focus();
}

async function loggedIn(m) {
	me = m;
	setCsrf(m.csrf);
	setCountries(m.countries);
	// the demo with no trunk: said once, for as long as it lasts
	$('no-line').hidden = m.phone_line !== false;
	$('login').hidden = true;
	for (const id of ['presence', 'views', 'who'])
		$(id).hidden = false;
	$('view-sup').hidden = !isSupervisor(m.agent.role);
	await desk.start(m);
	showView(isSupervisor(m.agent.role) && location.hash ===
		'#supervisor' ? 'sup' : 'desk');
	live.start();
}

function lockedMessage(e) {
	const min = Math.max(1, Math.ceil((e.retryAfter || 900) / 60));

	return 'Too many failed log-ins: this login is locked. Try again ' +
		`in about ${min} minute${min > 1 ? 's' : ''}, or ask your ` +
		'supervisor.';
}

async function login(ev) {
	ev.preventDefault();
	const form = ev.target;
	const name = $('login-name').value.trim();
	const password = $('login-password').value;
	const btn = form.querySelector('button');

	if (!name || !password) {
		$('login-error').textContent = 'Enter your login and password.';
		(name ? $('login-password') : $('login-name')).focus();
		return;
	}
	btn.disabled = true;
	$('login-error').textContent = '';
	try {
		const r = await post('/agent/api/login', {login: name, password});

		setCsrf(r.csrf);
		await loggedIn(await get('/agent/api/me'));
		$('main').focus();
	} catch (e) {
		$('login-error').textContent = e.status === 429
			? lockedMessage(e)
			: e.code === 'invalid_credentials'
				? 'Wrong login or password.' : e.message;
		$('login-password').value = '';
		$('login-password').focus();
	} finally {
		btn.disabled = false;
	}
}

async function logout() {
	// an agent who leaves is not available for calls any more
	if (me && !desk.busy() && desk.state() !== 'offline') {
		try {
			await post('/agent/api/state', {state: 'offline'});
		} catch {
			// logging out matters more
		}
	}
	try {
		await post('/agent/api/logout');
	} catch {
		// gone already
	}
	showLogin('You are logged out.');
}

// ---- start ----

setLoggedOutHandler(() => {
	if (me)
		showLogin('Your session has ended: log in again.');
});

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', logout);
$('view-desk').addEventListener('click', () => showView('desk'));
$('view-sup').addEventListener('click', () => showView('sup'));
window.addEventListener('online', () => live.kick());
document.addEventListener('visibilitychange', () => {
	if (!document.hidden)
		live.kick();
});

(async () => {
	try {
		await loggedIn(await get('/agent/api/me'));
	} catch {
		showLogin('');
	}
})();
