/*
 * beckon "Call me" widget (README.md, "The widget"). No dependencies; all
 * in an open shadow root, whose !important :host rules beat the page's.
 */
(function () {
'use strict';

var VERSION = '1.0.0';
var S = document.currentScript ||
	document.querySelector('script[src*="widget.js"][data-business]');
if (!S)
	return;
var D = S.dataset, BIZ = D.business, API;
try {
	API = new URL(S.src, location.href).origin;
} catch (e) {
	return;
}
var W = window.Beckon = window.Beckon || {version: VERSION, o: {}};
if (!BIZ || W.o[BIZ]) {
	if (!BIZ)
		console.warn('beckon: the widget needs data-business');
	return;
}

var T = {
en: {
	btn: 'Call me', title: 'Request a call', sub: '{b} will call you back.',
	talk: 'Talk now in your browser',
	cc: 'Country', ph: 'Phone number', name: 'Name (optional)',
	team: 'Who should call you? (optional)', any: 'Anyone', when: 'When?',
	now: 'Now', later: 'Later', soon: 'When we open ({t})', slot: 'Time',
	tz: 'Times in your time zone ({z}).', noslot: 'No times available.',
	load: 'Loading…', consent: 'By asking for a call you agree that {b} ' +
	'calls this number about your request, and for nothing else.',
	sending: 'Sending…', close: 'Close', cancel: 'Cancel the call',
	again: 'Request a new call', retry: 'Try again',
	e_empty: 'Please enter your phone number.',
	e_chars: 'Use only digits, spaces, ( ) - . / and a leading +.',
	e_length: 'This number has too few or too many digits.',
	e_country: 'This country code is unknown.',
	e_national: 'This is not a valid number in its country.',
	e_nocc: 'Calls to this country are not offered.',
	cc_in: 'Countries we call: {c}.',
	noline: 'Demo: no phone line is configured, so no call is placed.',
	e_deny: 'Calls to this kind of number are not allowed.',
	e_long: 'This is too long.', e_slot: 'Please choose a time.',
	e_net: 'We cannot reach the call-back service: your request is not ' +
	'sent.', e_limit: 'Too many requests. Please try again {t}.',
	e_closed: 'No calls can be booked now.',
	e_setup: 'Call-back requests are not available here.',
	e_other: 'Something went wrong: {m}',
	n_no_agent: 'No agent is free now.', n_wait: 'The wait is long.',
	n_closing: 'We close soon.', n_pick: 'Pick a time to be called.',
	n_retry: 'No agent was free. Next try: {t}.',
	s_title: 'Your call request', queued: 'You are number {n} in line.',
	queuedx: 'Your request is in line.', eta: 'Expected wait: about {m} min.',
	eta0: 'Expected wait: under a minute.',
	scheduled: 'We will call you on {t}.',
	retrying: 'We could not reach you ({r}). Next try: {t}.',
	dialing: 'We’re calling you now.',
	on_hold: 'Please hold: we’re connecting you to an agent.',
	connected: 'You’re connected.', completed: 'The call has ended. ' +
	'Thank you!', failed: 'We could not reach you ({r}).',
	abandoned: 'The call ended before an agent took it.',
	interrupted: 'The call was cut off. We will call you again soon.',
	canceled: 'Your request is canceled.', gone: 'This request is gone.',
	late: 'Too late to cancel: we’re calling you.',
	offline: 'Connection lost, trying again…',
	existing: 'You had already asked for a call.',
	r_busy: 'the line was busy', r_no_answer: 'no answer',
	r_x: 'the call did not go through',
	b_q: 'In line: #{n}', b_s: 'Call on {t}', b_d: 'Calling you…',
	b_h: 'Please hold', b_c: 'Connected', b_l: 'In line',
	b_completed: 'Call ended', b_failed: 'Not reached',
	b_canceled: 'Canceled'
},
fr: {
	btn: 'Rappelez-moi', title: 'Demander un appel',
	sub: '{b} vous rappelle.', cc: 'Pays', ph: 'Numéro de téléphone',
	name: 'Nom (facultatif)', team: 'Qui doit vous appeler ? (facultatif)',
	any: 'Peu importe', when: 'Quand ?', now: 'Maintenant',
	later: 'Plus tard', soon: 'À l’ouverture ({t})', slot: 'Heure',
	tz: 'Heures de votre fuseau ({z}).', noslot: 'Aucun créneau libre.',
	load: 'Chargement…', consent: 'En demandant un appel, vous acceptez ' +
	'que {b} appelle ce numéro pour votre demande, et pour rien d’autre.',
	sending: 'Envoi…', close: 'Fermer', cancel: 'Annuler l’appel',
	again: 'Demander un nouvel appel', retry: 'Réessayer',
	e_empty: 'Veuillez saisir votre numéro.',
	e_chars: 'Seuls chiffres, espaces, ( ) - . / et un + initial.',
	e_length: 'Ce numéro a trop peu ou trop de chiffres.',
	e_country: 'Cet indicatif de pays est inconnu.',
	e_national: 'Ce numéro n’est pas valide dans son pays.',
	e_nocc: 'Les appels vers ce pays ne sont pas proposés.',
	cc_in: 'Pays appelés : {c}.',
	noline: 'Démo : aucune ligne téléphonique, aucun appel n’est passé.',
	e_deny: 'Les appels vers ce type de numéro sont refusés.',
	e_long: 'C’est trop long.', e_slot: 'Veuillez choisir une heure.',
	e_net: 'Service de rappel injoignable : votre demande n’est pas ' +
	'envoyée.', e_limit: 'Trop de demandes. Réessayez {t}.',
	e_closed: 'Aucun appel ne peut être réservé.',
	e_setup: 'Les demandes de rappel ne sont pas disponibles ici.',
	e_other: 'Une erreur est survenue : {m}',
	n_no_agent: 'Aucun conseiller libre.', n_wait: 'L’attente est longue.',
	n_closing: 'Nous fermons bientôt.', n_pick: 'Choisissez une heure ' +
	'd’appel.', n_retry: 'Aucun conseiller libre. Prochain appel : {t}.',
	talk: 'Parler maintenant depuis le navigateur',
	s_title: 'Votre demande d’appel',
	queued: 'Vous êtes numéro {n} dans la file.',
	queuedx: 'Votre demande est dans la file.',
	eta: 'Attente : environ {m} min.', eta0: 'Attente : moins d’une minute.',
	scheduled: 'Nous vous appellerons le {t}.',
	retrying: 'Nous n’avons pas pu vous joindre ({r}). Nouvel essai : {t}.',
	dialing: 'Nous vous appelons.',
	on_hold: 'Ne quittez pas : nous vous passons un conseiller.',
	connected: 'Vous êtes en ligne.', completed: 'L’appel est terminé. ' +
	'Merci !', failed: 'Nous n’avons pas pu vous joindre ({r}).',
	abandoned: 'L’appel a pris fin avant qu’un conseiller ne réponde.',
	interrupted: 'L’appel a été coupé. Nous vous rappelons bientôt.',
	canceled: 'Votre demande est annulée.', gone: 'Cette demande n’existe ' +
	'plus.', late: 'Trop tard pour annuler : nous vous appelons.',
	offline: 'Connexion perdue, nouvel essai…',
	existing: 'Vous aviez déjà demandé un appel.',
	r_busy: 'ligne occupée', r_no_answer: 'pas de réponse',
	r_x: 'l’appel n’a pas abouti',
	b_q: 'File : n° {n}', b_s: 'Appel le {t}', b_d: 'Appel en cours…',
	b_h: 'Ne quittez pas', b_c: 'En ligne', b_l: 'Dans la file',
	b_completed: 'Appel terminé', b_failed: 'Non joint',
	b_canceled: 'Annulé'
}
};


var LANG = 'en', LOC = 'en';
[D.lang, document.documentElement.lang].concat(navigator.languages ||
		[navigator.language]).some(function (l) {
	var p = (l || '').toLowerCase().split(/[-_]/)[0];
	if (T[p]) {
		LANG = p;
		LOC = l;
	}
	return T[p];
});

function t(k, v) {
	return (T[LANG][k] || T.en[k] || k).replace(/\{(\w)\}/g,
		function (m, x) {
			return v && v[x] != null ? v[x] : '';
		});
}

try {
	Intl.DateTimeFormat(LOC);
} catch (e) {
	LOC = LANG;
}

function fmt(o, d) {
	return new Intl.DateTimeFormat(LOC, o).format(d);
}

function when(iso) {
	return fmt({weekday: 'short', day: 'numeric', month: 'short',
		    hour: 'numeric', minute: '2-digit'}, new Date(iso));
}

function inSecs(s) {
	var r = new Intl.RelativeTimeFormat(LANG);
	return s < 90 ? r.format(s, 'second') :
		r.format(Math.ceil(s / 60), 'minute');
}

/* calling codes in service (as in src/phone/cc.c), regions named */
var CC = {}, REGION = {}, NC = 0,
    RG = 'USRUEGZAGRNLBEFRESHUITROCHATGBDKSENOPLDEPEMXCUAR' +
'BRCLCOVEMYAUIDPHNZSGTHJPKRVNCNTRINPKAFLKMMIRSSMADZTNLYGMSNMRMLGNCIBFNETG' +
'BJMULRSLGHNGTDCFCMCVSTGQGACGCDAOGWIOACSCSDRWETSODJKETZUGBIMZZMMGREZWNAMW' +
'LSBWSZKMSHERAWFOGLGIPTLUIEISALMTCYFIBGLTLVEEMDAMBYADMCSMVAUARSMEXKHRSIBA' +
'MKCZSKLIFKBZGTSVHNNICRPAPMHTGPBOGYECGFPYMQSRUYCWTLNFBNNRPGTOSBVUFJPWWFCK' +
'NUWSKINCTVPFTKFMMH____KPHKMOKHLA__BD______TW__MVLBJOSYIQKWSAYEOMPSAEILBH' +
'QABTMNNP__TJTMAZGEKGUZ';
('1 7 20 27 30-34 36 39-41 43-49 51-58 60-66 81-82 84 86 90-95 98 211-213 ' +
'216 218 220-258 260-269 290-291 297-299 350-359 370-383 385-387 389 ' +
'420-421 423 500-509 590-599 670 672-683 685-692 800 808 850 852-853 ' +
'855-856 870 880-883 886 888 960-968 970-977 979 992-996 998').split(' ')
	.forEach(function (x) {
	x = x.split('-');
	for (var c = +x[0]; c <= +(x[1] || x[0]); c++, NC += 2) {
		CC[c] = 1;
		if (RG[NC] != '_')
			REGION[c] = RG.substr(NC, 2);
	}
});

/* national digits (min, max; 0: any), trunk prefix, international
 * prefix, no national number starts with 0 */
var RULE = {1: [10, 10, '1', '011'], 7: [10, 10, '8', '810'],
	33: [9, 9, '0', '00', 1], 36: [0, 0, '06', '00'],
	39: [0, 0, '', '00'], 44: [9, 10, '0', '00', 1],
	49: [6, 13, '0', '00', 1], 61: [0, 0, '0', '0011', 1],
	81: [0, 0, '0', '010', 1], 378: [0, 0, '', '00'],
	379: [0, 0, '', '00']};

function rule(cc) {
	return RULE[cc] || [0, 0, '0', '00'];
}

function ccOf(d) {
	for (var i = 1; d[0] != '0' && i <= 3 && i <= d.length; i++)
		if (CC[d.slice(0, i)])
			return d.slice(0, i);
	return '';
}

/* "+<cc><nsn>", or why not: empty, chars, length, country, national */
function normalize(s, dcc) {
	var d = '', plus = 0, open = 0, other = 0, p0 = -1, off = 0,
	    r = rule(dcc), intl, cc, n, c, i;

	for (i = 0; i < s.length; i++) {
		c = s[i];
		if (c >= '0' && c <= '9') {
			d += c;
			continue;
		}
		if (c == ' ')
			continue;
		if (c == '+') {
			if (plus || d)
				return 'chars';
			plus = 1;
		} else if (c == '(') {
			if (open)
				return 'chars';
			open = 1;
		} else if (c == ')') {
			if (!open)
				return 'chars';
			open = 0;
			if (s[i - 1] == '0' && s[i - 2] == '(' && p0 < 0)
				p0 = d.length - 1;
		} else if ('-./'.indexOf(c) < 0) {
			return 'chars';
		}
		other = 1;
	}
	if (open)
		return 'chars';
	if (!d)
		return other ? 'length' : 'empty';
	if (d.length > 32)
		return 'length';

	intl = plus;
	if (!plus) {
		if (!CC[dcc])
			return 'country';
		if (d.length > r[3].length && !d.indexOf(r[3]))
			intl = off = r[3].length;
	}
	if (intl) {
		cc = ccOf(d.slice(off));
		if (!cc)
			return d.length - off > 15 ? 'length' : 'country';
		r = rule(cc);
		n = d.slice(off + cc.length);
		if (n[0] == '0' && r[2] == '0' &&
		    (p0 == off + cc.length || r[4]))
			n = n.slice(1);
	} else {
		cc = '' + dcc;
		n = d;
		c = r[2];
		if (c && n.length > c.length && !n.indexOf(c) &&
		    (!r[1] || r[0] != r[1] || n.length == r[1] + c.length))
			n = n.slice(c.length);
	}
	if (cc.length + n.length > 15 || (r[1] ?
	    n.length < r[0] || n.length > r[1] : cc.length + n.length < 8))
		return 'length';
	if ((r[4] && n[0] == '0') ||
	    (cc == '1' && (n[0] < '2' || n[3] < '2' || n.slice(1, 3) == '11')) ||
	    (cc == '44' && /^[46]/.test(n)))
		return 'national';

	return '+' + cc + n;
}
W.normalize = normalize;

function h(tag, a, kids) {
	var e = document.createElement(tag), k, v;

	for (k in a) {
		v = a[k];
		if (v == null || v === false)
			continue;
		if (k == 'text')
			e.textContent = v;
		else if (k.slice(0, 2) == 'on')
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? '' : v);
	}
	(kids || []).forEach(function (c) {
		if (c)
			e.append(c);
	});
	return e;
}

function show(e, yes) {
	e.hidden = !yes;
}

function rnd() {
	var a = new Uint8Array(16);
	crypto.getRandomValues(a);
	return 'w' + Array.prototype.map.call(a, function (b) {
		return (b + 256).toString(16).slice(1);
	}).join('');
}

function bytes(s) {
	return new TextEncoder().encode(s).length;
}

var SENSITIVE = (D.sensitiveParams != null ? D.sensitiveParams :
	'token access_token id_token refresh_token auth code key api_key ' +
	'apikey secret password passwd pwd pass email mail session sid ' +
	'phone tel').toLowerCase().split(/[\s,]+/);

function cleanUrl(u) {
	try {
		u = new URL(u);
	} catch (e) {
		return '';
	}
	if (!/^https?:$/.test(u.protocol))
		return '';
	u.hash = u.username = u.password = '';
	Array.from(u.searchParams.keys()).forEach(function (k) {
		if (SENSITIVE.indexOf(k.toLowerCase()) >= 0)
			u.searchParams.delete(k);
	});
	u = u.href.replace(/\?$/, '');
	return u.length > 2048 ? u.split('?')[0].slice(0, 2048) : u;
}

var KEY = 'beckon:' + BIZ, mem = null;

function load() {
	try {
		return JSON.parse(localStorage.getItem(KEY));
	} catch (e) {
		return mem;
	}
}

function save(v) {
	mem = v;
	try {
		if (v)
			localStorage.setItem(KEY, JSON.stringify(v));
		else
			localStorage.removeItem(KEY);
	} catch (e) {}
}

function call(method, path, body, hdrs) {
	var o = {method: method, mode: 'cors', credentials: 'omit',
		 cache: 'no-store', headers: hdrs || {}};
	if (body) {
		o.body = body;
		o.headers['Content-Type'] = 'application/json';
	}
	return fetch(API + path, o).then(function (r) {
		return r.text().then(function (x) {
			var j = {};
			try {
				j = JSON.parse(x) || {};
			} catch (e) {}
			return {status: r.status, j: j,
				ra: +r.headers.get('Retry-After') || 0};
		});
	}, function () {
		return {status: 0, j: {}};
	});
}

/* network errors and 5xx are retried (1, 2, 4, 8 s), and the visitor is
 * told; what is still unanswered after that goes back to the caller */
function retried(method, path, body, hdrs) {
	var n = 0;
	function go() {
		return call(method, path, body, hdrs).then(function (r) {
			if ((r.status && r.status < 500) || ++n >= 5)
				return r;
			if (n == 2)
				note(t('offline'));
			return new Promise(function (k) {
				setTimeout(k, Math.max(r.ra * 1000,
						      1000 << (n - 1)));
			}).then(go);
		});
	}
	return go();
}

var BIZINFO = null, BIZP;

/* the business's settings, asked once at start (the widget's look comes
 * from them where the page's data attributes say nothing) */
function business() {
	return BIZP = BIZP || retried('GET', '/v1/businesses/' +
				      encodeURIComponent(BIZ))
		.then(function (r) {
			if (r.status == 200)
				BIZINFO = r.j;
			else
				BIZP = null;
			return r;
		});
}

var host, root, btn, dlg, form, el = {}, opener, live, cur = load();
var STYLE = ':host{all:initial!important;position:fixed!important;' +
'z-index:2147483000!important;display:block!important;' +
'visibility:visible!important;opacity:1!important;transform:none!important;' +
'filter:none!important;width:auto!important;height:auto!important;' +
'margin:0!important;padding:0!important;border:0!important;' +
'font:16px/1.45 system-ui,Arial,sans-serif!important;' +
'color:#1d1d1f!important;@P}' +
'*{box-sizing:border-box;font:inherit;color:inherit;margin:0;' +
'letter-spacing:normal;text-transform:none;text-align:left}' +
'[hidden]{display:none!important}' +
'.b{display:block;min-height:48px;' +
'max-width:calc(100vw - 40px);padding:12px 20px;border:0;' +
'border-radius:24px;background:var(--a);color:var(--t);font-weight:600;' +
'cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3);white-space:nowrap}' +
':focus-visible{outline:3px solid var(--r);outline-offset:2px}' +
'dialog{position:fixed;inset:0;margin:auto;width:min(440px,' +
'calc(100vw - 16px));max-height:calc(100vh - 16px);overflow:auto;' +
'padding:20px 24px 24px;border:0;border-radius:12px;background:#fff;' +
'color:#1d1d1f;box-shadow:0 10px 40px rgba(0,0,0,.4)}' +
'dialog::backdrop{background:rgba(0,0,0,.45)}' +
'h2{font-size:20px;font-weight:700;margin:0 40px 4px 0}' +
'label,legend{display:block;font-weight:600;font-size:15px;' +
'margin:14px 0 4px;padding:0}' +
'fieldset{border:0;padding:0;margin:0;min-width:0}' +
'input,select{display:block;width:100%;min-height:44px;padding:8px 10px;' +
'border:1px solid #6b6b6b;border-radius:6px;background:#fff;' +
'color:#1d1d1f}' +
'.row{display:flex;gap:8px}.row select{flex:0 0 38%;width:38%}' +
'.o{display:inline-flex;align-items:center;gap:6px;margin:0 20px 0 0;' +
'font-weight:400}' +
'.o input{width:20px;height:20px;min-height:0;margin:0;' +
'accent-color:var(--a)}' +
'[aria-invalid=true]{border:2px solid #b3261e}' +
'.e{color:#b3261e;font-size:14px;margin-top:4px}.e:empty{display:none}' +
'.m{font-size:13px;color:#4a4a4a;margin-top:6px}' +
'.p,.s{display:block;width:100%;min-height:48px;margin-top:16px;' +
'padding:10px 16px;border-radius:8px;font-weight:600;cursor:pointer;' +
'text-align:center}' +
'.p{border:0;background:var(--a);color:var(--t)}' +
'.s{border:1px solid #6b6b6b;background:#fff;color:#1d1d1f}' +
'.p:disabled{opacity:.6;cursor:wait}' +
'.x{position:absolute;top:10px;right:10px;width:40px;height:40px;' +
'border:0;border-radius:20px;background:none;font-size:26px;' +
'line-height:1;cursor:pointer;text-align:center}' +
'.st{font-size:18px;font-weight:600;margin:16px 0 4px}' +
'.v{position:absolute;width:1px;height:1px;overflow:hidden;' +
'clip:rect(0 0 0 0);white-space:nowrap}';

function lum(c) {
	var s = h('i'), m;
	root.append(s);
	s.style.color = c;
	m = getComputedStyle(s).color.match(/[\d.]+/g) || [0, 0, 0];
	s.remove();
	return [0.2126, 0.7152, 0.0722].reduce(function (a, k, i) {
		var v = m[i] / 255;
		return a + k * (v <= 0.03928 ? v / 12.92 :
				Math.pow((v + 0.055) / 1.055, 2.4));
	}, 0);
}

/* a look of the page's data attributes, else of the business */
function wv(k) {
	return D[k] || BIZINFO && BIZINFO.widget && BIZINFO.widget[k];
}

function style() {
	var pos = (wv('position') || 'bottom-right').split('-'),
	    c = wv('color'), color = c && CSS.supports('color', c) ? c :
		'#0b57d0', l, css, sheet;

	/* text in white or black, whichever contrasts more; the focus ring
	 * in the colour if it shows on white */
	l = lum(color);
	css = STYLE.replace('@P', (pos[0] == 'top' ? 'top' : 'bottom') +
		':20px!important;' + (pos[1] == 'left' ? 'left' : 'right') +
		':20px!important;--a:' + color + '!important;--t:' +
		(1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#111') +
		'!important;--r:' + (1.05 / (l + 0.05) >= 3 ? color :
				     '#1d1d1f') + '!important');
	try {
		sheet = new CSSStyleSheet();
		sheet.replaceSync(css);
		root.adoptedStyleSheets = [sheet];
	} catch (e) {
		(el.css = el.css || root.appendChild(h('style'))).textContent =
			css;
	}
}

function build() {
	host = h('beckon-widget', {'data-business': BIZ,
				   'data-version': VERSION});
	root = host.attachShadow({mode: 'open'});
	document.body.append(host);
	style();

	btn = h('button', {type: 'button', 'class': 'b', part: 'button',
			   'aria-haspopup': 'dialog', onclick: function () {
		open();
	}});
	el.bl = h('span');
	btn.append(el.bl);
	live = h('div', {'class': 'v', role: 'status', 'aria-live': 'polite'});
	root.append(btn, live);
	paint();
}

function field(id, label, input) {
	return h('div', {}, [h('label', {'for': id, text: label}), input,
		h('div', {'class': 'e', id: id + 'e'})]);
}

function buildDialog() {
	var teams = BIZINFO.agent_keys || [], only = D.teams, names, tz, ccs;
	if (only != null)
		teams = teams.filter(function (k) {
			return only.split(/[\s,]+/).indexOf(k) >= 0;
		});

	el.cc = h('select', {id: 'cc', 'aria-label': t('cc'),
			     autocomplete: 'tel-country-code'});
	names = new Intl.DisplayNames([LOC], {type: 'region'});
	/* only the calling codes the business calls (+1: also Canada) */
	ccs = W.ccs = (BIZINFO.countries || []).filter(function (c) {
		return REGION[c];
	}).map(String);
	el.ccs = ccs.length && h('p', {'class': 'm', id: 'ccm', text: t('cc_in', {c:
		new Intl.ListFormat(LOC).format([].concat.apply([],
		ccs.map(function (c) {
			return (c == 1 ? ['US', 'CA'] : [REGION[c]])
				.map(function (r) {
				return names.of(r);
			});
		})))})});
	(ccs.length ? ccs : Object.keys(REGION)).map(function (c) {
		return [names.of(REGION[c]), c];
	}).sort(function (a, b) {
		return a[0].localeCompare(b[0], LANG);
	}).forEach(function (o) {
		el.cc.append(h('option', {value: o[1],
			text: o[0] + ' (+' + o[1] + ')',
			selected: o[1] == (cur && cur.cc || BIZINFO.country)}));
	});
	el.ph = h('input', {id: 'ph', type: 'tel', autocomplete: 'tel',
			    inputmode: 'tel', required: true,
			    'aria-describedby': 'phe', 'aria-invalid': 'false'});
	if (cur && cur.phone)
		el.ph.value = cur.phone;
	el.name = h('input', {id: 'nm', autocomplete: 'name',
			      'aria-describedby': 'nme', maxlength: 100});
	el.team = h('select', {id: 'tm', 'aria-describedby': 'tme'},
		    [h('option', {value: '', text: t('any')})]);
	teams.forEach(function (k) {
		var n = k.replace(/^agent:/, '').replace(/[_-]/g, ' ');
		el.team.append(h('option', {value: k,
			text: n[0].toUpperCase() + n.slice(1)}));
	});
	el.now = h('input', {type: 'radio', name: 'w', value: 'now',
			     checked: true, onchange: slots});
	el.later = h('input', {type: 'radio', name: 'w', value: 'later',
			       onchange: slots});
	el.slot = h('select', {id: 'sl', 'aria-describedby': 'sle slm'});
	tz = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
	el.slotBox = h('div', {hidden: true}, [field('sl', t('slot'),
		el.slot), h('p', {'class': 'm', id: 'slm',
		text: t('tz', {z: tz})})]);
	el.err = h('div', {'class': 'e', role: 'alert'});
	el.send = h('button', {type: 'submit', 'class': 'p'});
	el.again = h('button', {type: 'button', 'class': 'p', hidden: true,
				text: t('retry'), onclick: submit});

	form = h('form', {novalidate: true, onsubmit: function (e) {
		e.preventDefault();
		submit();
	}}, [
		h('p', {text: t('sub', {b: BIZINFO.name || BIZ})}),
		h('label', {'for': 'ph', text: t('ph')}),
		h('div', {'class': 'row'}, [el.cc, el.ph]),
		h('div', {'class': 'e', id: 'phe'}), el.ccs,
		BIZINFO.phone_line === false &&
			h('p', {'class': 'e', text: t('noline')}),
		field('nm', t('name'), el.name),
		teams.length && field('tm', t('team'), el.team),
		h('fieldset', {}, [h('legend', {text: t('when')}),
			h('label', {'class': 'o'}, [el.now,
				BIZINFO.open_now === false && BIZINFO.next_open ?
				t('soon', {t: when(BIZINFO.next_open)}) :
				t('now')]),
			h('label', {'class': 'o'}, [el.later, t('later')])]),
		el.nowMsg = h('p', {'class': 'm', id: 'nwm', hidden: true}),
		el.slotBox,
		h('p', {'class': 'm', text: D.consent ||
			t('consent', {b: BIZINFO.name || BIZ})}),
		el.err, el.send, el.again
	]);

	/* talk in the browser (voice.js, loaded when pressed) */
	el.vb = h('div', {hidden: true});
	if (BIZINFO.webrtc && BIZINFO.voice_in_browser != 'off') {
		form.append(h('button', {type: 'button', 'class': 's',
			text: t('talk'), onclick: talk}));
		if (BIZINFO.voice_in_browser == 'only')
			form.replaceChildren(form.firstChild, el.err,
					     form.lastChild);
	}

	el.stt = h('p', {'class': 'st', role: 'status', 'aria-live': 'polite',
			 'aria-atomic': 'true'});
	el.std = h('p', {'class': 'm'});
	el.sterr = h('div', {'class': 'e', role: 'alert'});
	el.cancel = h('button', {type: 'button', 'class': 's',
				 text: t('cancel'), onclick: cancel});
	el.anew = h('button', {type: 'button', 'class': 'p',
			       text: t('again'), onclick: function () {
		save(cur = null);
		paint();
		el.ph.focus();
	}});
	el.status = h('div', {}, [el.stt, el.std, el.sterr, el.cancel,
				  el.anew]);

	el.title = h('h2', {id: 'tt'});
	dlg = h('dialog', {'aria-labelledby': 'tt', part: 'dialog',
			   oncancel: function (e) {
		e.preventDefault();
		close();
	}, onkeydown: trap, onclick: function (e) {
		var r = dlg.getBoundingClientRect();
		if (e.target == dlg && (e.clientX < r.left ||
		    e.clientX > r.right || e.clientY < r.top ||
		    e.clientY > r.bottom))
			close();
	}}, [h('button', {type: 'button', 'class': 'x',
			  'aria-label': t('close'), text: '\u00d7',
			  onclick: close}), el.title, form, el.vb, el.status]);
	root.append(dlg);
	paint();
}

function talk() {
	var v = {api: API, biz: BIZ, lang: LANG, h: h, form: form, box: el.vb,
		 err: el.err, body: {business: BIZ}}, u = cleanUrl(location.href);

	if (u)
		v.body.page_url = u;
	if (W.voice)
		return W.voice(v);
	document.head.append(h('script', {src: API + '/widget-voice.js',
		onload: function () {
			W.voice(v);
		}, onerror: function () {
			el.err.textContent = t('e_net');
		}}));
}

/* Tab and Shift+Tab stay inside the open dialog; Escape closes it */
function trap(e) {
	if (e.key == 'Escape') {
		e.preventDefault();
		close();
		return;
	}
	if (e.key != 'Tab')
		return;
	var f = Array.from(dlg.querySelectorAll('button,input,select'))
		.filter(function (x) {
			return !x.disabled && x.getClientRects().length &&
				(x.type != 'radio' || x.checked);
		}), a = root.activeElement;
	if (f.indexOf(a) < 0 || (e.shiftKey ? a == f[0] :
				 a == f[f.length - 1])) {
		e.preventDefault();
		f[e.shiftKey ? f.length - 1 : 0].focus();
	}
}

function open(team, from) {
	opener = from || (document.activeElement == host ? btn :
			  document.activeElement);
	if (dlg && dlg.open)
		return;
	btn.disabled = true;
	if (BIZINFO)
		BIZP = null;
	business().then(function (r) {
		btn.disabled = false;
		if (!BIZINFO) {
			console.warn('beckon: business ' + BIZ + ': ' +
				     ((r.j.error || {}).message || 'unreachable'));
			say(t(r.status ? 'e_setup' : 'e_net'));
			btn.title = live.textContent;
			return;
		}
		if (!dlg)
			buildDialog();
		nowCheck();
		if (team && el.team.querySelector('option[value="' +
				CSS.escape(team) + '"]'))
			el.team.value = team;
		dlg.showModal();
		focusIn();
	});
}

/* no call now: why, and "later" (a time chosen is the consent) */
function nowCheck() {
	var n = BIZINFO.now || {}, w = n.reason != 'closed' && n.reason;

	el.nowMsg.textContent = w ? t('n_' + w) + ' ' + t('n_pick') : '';
	show(el.nowMsg, w);
	if (w && !cur) {
		el.later.checked = true;
		slots();
	}
}

function focusIn() {
	var f = !cur ? el.ph : cur.done ? el.anew : el.cancel;
	(f.hidden ? dlg.querySelector('.x') : f).focus();
}

function close() {
	dlg.close();
	if (cur && cur.done)
		save(cur = null);
	paint();
	(opener && opener.isConnected && opener != btn && opener != host &&
	 opener != document.body ? opener : btn).focus();
}

function say(s) {
	(dlg && dlg.open ? el.stt : live).textContent = s;
}

function note(s) {
	if (el.sterr)
		(cur && cur.id ? el.sterr : el.err).textContent = s;
}

var FINAL = {completed: 1, failed: 1, abandoned: 1, canceled: 1, gone: 1};

function words() {
	var c = cur, s = c.status, ev = c.ev || {}, d = ev.data || {}, eta,
	    r = T.en['r_' + d.reason] ? t('r_' + d.reason) : t('r_x');

	if (!c.id)
		return [t('sending'), '', t('sending')];
	if (s == 'queued') {
		eta = c.eta == null ? t('n_no_agent') : c.eta < 60 ? t('eta0') :
			t('eta', {m: Math.round(c.eta / 60)});
		return [c.pos > 0 ? t('queued', {n: c.pos}) : t('queuedx'), eta,
			c.pos > 0 ? t('b_q', {n: c.pos}) : t('b_l')];
	}
	if (s == 'scheduled' && c.at)
		return [ev.type == 'retry_scheduled' ? d.reason == 'no_agent' ?
			t('n_retry', {t: when(c.at)}) :
			t('retrying', {r: r, t: when(c.at)}) :
			t('scheduled', {t: when(c.at)}), '',
			t('b_s', {t: when(c.at)})];
	/* the button says what the dialog says, in short */
	return [t(s, {r: r}), '', t({dialing: 'b_d', on_hold: 'b_h',
		connected: 'b_c', failed: 'b_failed',
		canceled: 'b_canceled'}[s] || 'b_completed')];
}

function paint() {
	var w = cur && words(), fin = cur && cur.done;

	el.bl.textContent = w ? w[2] : wv('label') || t('btn');
	/* an end seen here: the next page offers a new call */
	if (fin && !cur.seen && !document.hidden) {
		cur.seen = 1;
		save(cur);
	}
	show(btn, cur || D.button != 'none' &&
	     !document.querySelector('[data-beckon]'));
	if (!dlg)
		return;
	show(form, !cur || !cur.id);
	show(el.status, cur && cur.id);
	el.title.textContent = cur && cur.id ? t('s_title') : t('title');
	el.send.disabled = !!cur;
	el.send.textContent = t(cur ? 'sending' : 'btn');
	show(el.again, false);
	show(el.send, true);
	if (!cur || !cur.id)
		return;
	if (el.stt.textContent != w[0])
		el.stt.textContent = w[0];
	el.std.textContent = (cur.existing ? t('existing') + ' ' : '') + w[1];
	show(el.cancel, !fin && /queued|scheduled/.test(cur.status));
	show(el.anew, fin);
	fin = root.activeElement;
	if (dlg.open && (!fin || !fin.getClientRects().length))
		focusIn();
}

function fieldErr(f, msg) {
	var e = {phone: el.ph, name: el.name, agent: el.team,
		 when: el.slot}[f];
	if (!e || !e.isConnected)
		return false;
	e.setAttribute('aria-invalid', 'true');
	root.getElementById(e.id + 'e').textContent = msg;
	e.focus();
	return true;
}

function clearErrs() {
	root.querySelectorAll('[aria-invalid]').forEach(function (e) {
		e.setAttribute('aria-invalid', 'false');
	});
	root.querySelectorAll('.e').forEach(function (e) {
		e.textContent = '';
	});
}

var PHONE_ERR = {phone_required: 'e_empty', missing_field: 'e_empty',
		 invalid_phone: 'e_national', phone_denied: 'e_deny',
		 phone_country_not_allowed: 'e_nocc', too_long: 'e_long'};

function submit() {
	var b = {business: BIZ}, e164, v;

	if (cur)
		return;
	clearErrs();
	e164 = normalize(el.ph.value, +el.cc.value);
	if (e164[0] == '+' && W.ccs.length &&
	    W.ccs.indexOf(ccOf(e164.slice(1))) < 0)
		e164 = 'nocc';
	if (e164[0] != '+')
		return fieldErr('phone', t('e_' + e164));
	b.phone = e164;
	v = el.name.value.trim();
	if (bytes(v) > 100)
		return fieldErr('name', t('e_long'));
	if (v)
		b.name = v;
	if (el.team.value)
		b.agent = el.team.value;
	if (el.later.checked) {
		if (!el.slot.value)
			return fieldErr('when', t('e_slot'));
		b.when = el.slot.value;
	}
	if ((v = cleanUrl(location.href)))
		b.page_url = v;
	v = document.title.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
	while (bytes(v) > 300)
		v = v.slice(0, -1);
	if (v)
		b.page_title = v;
	if ((v = cleanUrl(document.referrer)))
		b.referrer = v;

	v = JSON.stringify(b);
	cur = {body: v, key: W.last && W.last[0] == v ? W.last[1] : rnd(),
	       phone: el.ph.value, cc: el.cc.value};
	W.last = [v, cur.key];
	save(cur);
	paint();
	send();
}

function send() {
	retried('POST', '/v1/callbacks', cur.body,
		{'Idempotency-Key': cur.key}).then(function (r) {
		var c = cur, j = r.j, e = j.error || {}, k, lost;

		if (r.status == 200 || r.status == 202) {
			cur = {id: j.id, token: j.cancel_token,
			       url: j.status_url, phone: c.phone, cc: c.cc,
			       existing: j.existing};
			update(j);
			poll(0);
			return;
		}
		save(cur = null);
		paint();
		if (!dlg)
			return;
		if (r.status == 400 && e.field) {
			k = PHONE_ERR[e.code];
			if (fieldErr(e.field, k ? t(k) : e.message))
				return;
		}
		el.err.textContent = r.status == 429 ?
			t('e_limit', {t: inSecs(r.ra || 60)}) :
			r.status == 409 ? t('e_closed') :
			r.status == 403 || r.status == 404 ? t('e_setup') :
			r.status && r.status < 500 ?
			t('e_other', {m: e.message || r.status}) : t('e_net');
		if (r.status == 403 || r.status == 404)
			console.warn('beckon: ' + e.message);
		/* unanswered: offer the same request again, same key */
		lost = !r.status || r.status >= 500;
		show(el.again, lost);
		show(el.send, !lost);
		(lost ? el.again : el.send).focus();
	});
}

function update(j) {
	var ev = (j.events || []).filter(function (e) {
		return e.data && (e.data.reason || e.data.at);
	}).pop(), before = el.bl.textContent;
	cur.status = j.status;
	cur.pos = j.position;
	cur.eta = j.eta_seconds;
	cur.at = j.scheduled_for;
	if (ev)
		cur.ev = ev;
	if (FINAL[j.status] && !cur.done)
		cur.done = Date.now();
	save(cur);
	paint();
	if (before != el.bl.textContent && !(dlg && dlg.open))
		say(words()[0]);
}

/* +1 at each cancel: a read sent before it is older (widget.mjs) */
var timer, fails = 0, wgen = 0;

function poll(ms) {
	clearTimeout(timer);
	if (!cur || !cur.id || cur.done)
		return;
	timer = setTimeout(function () {
		var id = cur.id, g = wgen;
		call('GET', cur.url).then(function (r) {
			if (!cur || cur.id != id || g != wgen)
				return;
			if (r.status == 200) {
				fails = 0;
				note('');
				update(r.j);
			} else if (r.status == 404) {
				update({status: 'gone'});
			} else if (++fails == 2) {
				note(t('offline'));
			}
			poll(fails ? Math.min(30000, 1000 << fails) :
			     document.hidden ? 10000 :
			     cur.status == 'scheduled' ? 30000 : 2000);
		});
	}, ms);
}

function cancel() {
	var id = cur.id;
	el.cancel.disabled = true;
	retried('DELETE', cur.url, null, {Authorization: 'Bearer ' +
			cur.token}).then(function (r) {
		el.cancel.disabled = false;
		if (!cur || cur.id != id)
			return;
		if (r.status == 200) {
			++wgen;
			update(r.j);
			el.anew.focus();
		} else if (r.status == 409) {
			note(t('late'));
			poll(0);
		} else {
			note(r.status ? t('e_other', {m: (r.j.error || {})
				.message || r.status}) : t('e_net'));
		}
	});
}

function slots() {
	show(el.slotBox, el.later.checked);
	if (!el.later.checked || el.slot.options.length)
		return;
	el.slot.append(h('option', {value: '', text: t('load')}));
	retried('GET', '/v1/businesses/' + encodeURIComponent(BIZ) +
		'/slots?days=7&minutes=30').then(function (r) {
		var days = {};
		el.slot.textContent = '';
		(r.j.slots || []).forEach(function (s) {
			var d = new Date(s), k = fmt({weekday: 'long',
				day: 'numeric', month: 'long'}, d);
			if (!days[k])
				el.slot.append(days[k] = h('optgroup',
							   {label: k}));
			days[k].append(h('option', {value: s,
				text: fmt({hour: 'numeric', minute: '2-digit'},
					  d)}));
		});
		if (!el.slot.options.length)
			el.slot.append(h('option', {value: '',
				text: r.status == 200 ? t('noslot') :
				t('e_net')}));
	});
}

function start() {
	if (cur && cur.done && (cur.seen || Date.now() - cur.done > 6e5))
		save(cur = null);
	build();
	business().then(function () {
		var l = wv('language');
		if (BIZINFO) {
			if (!D.lang && T[l])
				LANG = LOC = l;
			style();
			paint();
		}
	});
	document.addEventListener('click', function (e) {
		var x = e.target.closest && e.target.closest('[data-beckon]');
		if (x && (!x.dataset.business || x.dataset.business == BIZ)) {
			e.preventDefault();
			open(x.dataset.beckon, x);
		}
	});
	document.addEventListener('visibilitychange', function () {
		if (!document.hidden) {
			poll(0);
			paint();
		}
	});
	if (cur && cur.id)
		poll(0);
	else if (cur && cur.body)
		send();   /* left while sending: once more, same key */
}

W.o[BIZ] = open;
W.open = function (b) {
	(W.o[b || BIZ] || open)();
};
if (document.readyState == 'loading')
	document.addEventListener('DOMContentLoaded', start);
else
	start();
})();
