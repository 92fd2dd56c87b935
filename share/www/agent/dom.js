// Building the page from data without ever parsing data as markup.
//
// Names, notes, page titles and URLs come from visitors on the web: they
// only ever become text nodes or attribute values, never HTML. Links go
// through safeUrl() so that only http and https can be followed, and
// h() refuses the attributes that could smuggle script or style in.

const FORBIDDEN = new Set(['href', 'src', 'style', 'srcdoc', 'action',
	'formaction', 'xlink:href']);

export const $ = (id) => document.getElementById(id);

function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(
			String(c)));
	}
}

function setProps(el, props) {
	for (const [k, v] of Object.entries(props)) {
		if (v === null || v === undefined || v === false)
			continue;
		if (FORBIDDEN.has(k) || k.startsWith('on'))
			throw new Error(`h(): ${k} is set by a safe helper`);
		if (k === 'class')
			el.setAttribute('class', v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
}

// h('p', {class: 'x'}, 'text', child...): an element with text children.
export function h(tag, props = {}, ...children) {
	const el = document.createElement(tag);

	setProps(el, props);
	append(el, children);

	return el;
}

// The same for SVG (the charts), in the SVG namespace.
export function svg(tag, props = {}, ...children) {
	const el = document.createElementNS('http://www.w3.org/2000/svg', tag);

	setProps(el, props);
	append(el, children);

	return el;
}

// Replace an element's children.
export function fill(el, ...children) {
	el.replaceChildren();
	append(el, children);

	return el;
}

// The URL if it is http or https (normalised), else null: no
// javascript:, data:, blob: or anything else a browser might run.
export function safeUrl(s) {
	if (typeof s !== 'string' || !s)
		return null;
	try {
		const u = new URL(s);

		if (u.protocol === 'http:' || u.protocol === 'https:')
			return u.href;
	} catch {
		// not a URL at all
	}

	return null;
}

// A link that opens in a new tab without giving that page a handle on
// this one; plain text when the URL is not http(s).
export function link(url, text) {
	const href = safeUrl(url);

	if (!href)
		return h('span', {class: 'unsafe-url'}, text || url || '');

	const a = h('a', {target: '_blank', rel: 'noopener noreferrer'},
		text || href);
	a.href = href;

	return a;
}

// ---- times ----

const timeFmt = new Intl.DateTimeFormat(undefined, {
	hour: '2-digit', minute: '2-digit'});
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
	month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit'});

export function toMs(t) {
	if (typeof t === 'number')
		return t;
	const ms = Date.parse(t);

	return Number.isNaN(ms) ? 0 : ms;
}

// "14:02" today, "Mar 3, 14:02" another day.
export function when(t) {
	const ms = toMs(t);

	if (!ms)
		return '—';
	const d = new Date(ms);

	return d.toDateString() === new Date().toDateString()
		? timeFmt.format(d) : dateTimeFmt.format(d);
}

// "45 s", "3 min", "2 h 05 min", "3 days".
export function duration(s) {
	s = Math.max(0, Math.floor(s));
	if (s < 60)
		return `${s} s`;
	if (s < 3600)
		return `${Math.floor(s / 60)} min`;
	if (s < 86400) {
		const m = Math.floor(s / 60) % 60;

		return `${Math.floor(s / 3600)} h ${String(m).padStart(2, '0')}` +
			' min';
	}

	return `${Math.floor(s / 86400)} days`;
}

export function ago(t) {
	const ms = toMs(t);

	if (!ms)
		return '';
	const s = (Date.now() - ms) / 1000;

	return s < 0 ? `in ${duration(-s)}` : `${duration(s)} ago`;
}

// A running call timer: "1:05", "1:02:03".
export function clock(s) {
	s = Math.max(0, Math.floor(s));
	const hh = Math.floor(s / 3600);
	const mm = Math.floor(s / 60) % 60;
	const ss = String(s % 60).padStart(2, '0');

	return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}`
		: `${mm}:${ss}`;
}

// An <input type="datetime-local"> value as RFC 3339 with this browser's
// offset: "2025-03-04T15:30:00-05:00", the form the API parses.
export function localToRfc3339(v) {
	if (!v)
		return '';
	const d = new Date(v);

	if (Number.isNaN(d.getTime()))
		return '';
	const pad = (n) => String(n).padStart(2, '0');
	const off = -d.getTimezoneOffset();
	const sign = off >= 0 ? '+' : '-';
	const a = Math.abs(off);

	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-` +
		`${pad(d.getDate())}T${pad(d.getHours())}:` +
		`${pad(d.getMinutes())}:00${sign}${pad(Math.floor(a / 60))}:` +
		`${pad(a % 60)}`;
}

// A Date as a datetime-local value (the picker's own format).
export function toLocalInput(d) {
	const pad = (n) => String(n).padStart(2, '0');

	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-` +
		`${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// ---- numbers ----

// "1,499.90 USD": an amount in cents, grouped the browser's way.
export function money(cents, currency) {
	return `${(Number(cents) / 100).toLocaleString(undefined, {
		minimumFractionDigits: 2, maximumFractionDigits: 2})} ${
		currency || ''}`.trim();
}

// Phone numbers for people, written once here (the API keeps E.164 for
// machines): a number of the business's own country nationally, any
// other internationally with its calling code apart. Calling codes are
// one digit (1, 7), two (the ITU's two-digit zones) or three.
const CC = /^(1|7|2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58]|\d{3})/;
const homes = new Map();

// The businesses' calling codes, {"demo": 1} (GET /agent/api/me).
export function setCountries(o) {
	homes.clear();
	for (const [b, cc] of Object.entries(o || {}))
		homes.set(b, String(cc));
}

function groups(n) {
	return n.length <= 4 ? n : n.replace(/(\d{3})(?=\d{3,})/g, '$1 ');
}

export function phone(e164, business) {
	const m = /^\+(\d{8,15})$/.exec(e164 || '');

	if (!m)
		return e164 || '';
	const cc = CC.exec(m[1])[1];
	const n = m[1].slice(cc.length);
	const home = homes.get(business) === cc;

	if (cc === '1' && n.length === 10)
		return home ? `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`
			: `+1 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
	if (cc === '33' && n.length === 9) {
		const g = n.replace(/^(\d)(\d\d)(\d\d)(\d\d)(\d\d)$/,
			'$1 $2 $3 $4 $5');

		return home ? `0${g}` : `+33 ${g}`;
	}

	// a national form only where it is known (+1, +33): the
	// international one is right everywhere
	return `+${cc} ${groups(n)}`;
}

// "sale" -> "Sale", "not_interested" -> "Not interested".
export function words(code) {
	const s = String(code || '').replace(/_/g, ' ');

	return s.charAt(0).toUpperCase() + s.slice(1);
}

// One timer for everything that shows "how long ago": each tick calls
// the current set of functions (replaced whenever a view re-renders).
const ticks = new Map();

export function onTick(key, fn) {
	if (fn)
		ticks.set(key, fn);
	else
		ticks.delete(key);
}

setInterval(() => {
	for (const fn of ticks.values())
		fn();
}, 1000);
