// The desktop API over fetch: same origin, the session cookie (HttpOnly,
// so this code never sees it), and the session's CSRF token on every
// request that changes something.

let csrf = '';
let onLoggedOut = () => {};

export class ApiError extends Error {
	constructor(status, code, message, field, retryAfter) {
		super(message);
		this.status = status;
		this.code = code;
		this.field = field;
		this.retryAfter = retryAfter;
	}
}

export function setCsrf(token) {
	csrf = token || '';
}

// Called when the server says the session is gone (401), whichever
// request noticed it first.
export function setLoggedOutHandler(fn) {
	onLoggedOut = fn;
}

export async function api(method, path, body) {
	const opt = {method, headers: {}, credentials: 'same-origin',
		cache: 'no-store'};

	if (method !== 'GET')
		opt.headers['X-CSRF-Token'] = csrf;
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}

	let res;
	try {
		res = await fetch(path, opt);
	} catch {
		throw new ApiError(0, 'network',
			'The server cannot be reached. Check the connection.');
	}

	let data = null;
	if (res.status !== 204) {
		try {
			data = await res.json();
		} catch {
			data = null;
		}
	}

	if (res.ok)
		return data;

	const e = (data && data.error) || {};
	const err = new ApiError(res.status, e.code || `http_${res.status}`,
		e.message || res.statusText || 'request failed', e.field,
		Number(res.headers.get('Retry-After')) || 0);

	// a log-in that fails is a 401 too: only a lost session logs out
	if (res.status === 401 && err.code === 'not_logged_in')
		onLoggedOut();

	throw err;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
