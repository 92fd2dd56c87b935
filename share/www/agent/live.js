// The live channel: /agent/ws sends {"type":"update",...} whenever the
// agent's presence or their callback changes, and to supervisors
// {"type":"queue"} when the queue or any agent changed. Messages are only hints:
// after each one, and after every (re)connect, the page re-reads the
// state over HTTP, so a message lost while the socket was down costs
// nothing.
//
// Reconnects back off exponentially (0.5 s doubling to 15 s, with
// jitter so that a restarted server is not hit by every desk at once).
// Browsers do not expose WebSocket pings, so the page sends its own
// "ping" and treats a long silence as a dead connection (a laptop that
// slept, a proxy that dropped it).

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_MS = 20000;
const SILENCE_MS = 50000;

export class Live {
	// onMessage(msg), onQueue(), onOpen() (resync now),
	// onStatus(state, retryMs), onPhone(msg) (the desk's phone: phone.js)
	constructor({onMessage, onQueue, onOpen, onStatus, onPhone}) {
		this.onMessage = onMessage;
		this.onPhone = onPhone;
		this.onQueue = onQueue;
		this.onOpen = onOpen;
		this.onStatus = onStatus;
		this.ws = null;
		this.delay = BACKOFF_MIN_MS;
		this.retryTimer = 0;
		this.pingTimer = 0;
		this.lastHeard = 0;
		this.running = false;
	}

	start() {
		if (this.running)
			return;
		this.running = true;
		this.delay = BACKOFF_MIN_MS;
		this.connect();
	}

	stop() {
		this.running = false;
		clearTimeout(this.retryTimer);
		clearInterval(this.pingTimer);
		if (this.ws) {
			this.ws.onclose = null;
			this.ws.close();
			this.ws = null;
		}
		this.onStatus('off', 0);
	}

	connect() {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		let ws;

		this.onStatus('connecting', 0);
		try {
			ws = new WebSocket(`${proto}//${location.host}/agent/ws`);
		} catch {
			this.retry();
			return;
		}
		this.ws = ws;

		ws.onopen = () => {
			this.delay = BACKOFF_MIN_MS;
			this.lastHeard = Date.now();
			this.onStatus('live', 0);
			clearInterval(this.pingTimer);
			this.pingTimer = setInterval(() => this.ping(), PING_MS);
			this.onOpen();
		};
		ws.onmessage = (ev) => {
			this.lastHeard = Date.now();
			let msg;
			try {
				msg = JSON.parse(ev.data);
			} catch {
				return;
			}
			if (msg && msg.type === 'update')
				this.onMessage(msg);
			else if (msg && msg.type === 'queue' && this.onQueue)
				this.onQueue();
			else if (msg && msg.type !== 'pong' && this.onPhone)
				this.onPhone(msg);
		};
		ws.onclose = () => {
			clearInterval(this.pingTimer);
			this.ws = null;
			this.retry();
		};
		// an error is always followed by close: retry there
		ws.onerror = () => {};
	}

	// a message to the server (the desk's phone); false when not open
	send(obj) {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
			return false;
		this.ws.send(JSON.stringify(obj));
		return true;
	}

	ping() {
		if (!this.ws)
			return;
		if (Date.now() - this.lastHeard > SILENCE_MS) {
			// close() may take long on a dead link: drop it now
			const ws = this.ws;

			ws.onclose = null;
			ws.close();
			this.ws = null;
			clearInterval(this.pingTimer);
			this.retry();
			return;
		}
		try {
			this.ws.send('ping');
		} catch {
			// closing already; onclose retries
		}
	}

	retry() {
		if (!this.running)
			return;
		const wait = Math.round(this.delay * (0.75 + Math.random() / 2));

		this.delay = Math.min(this.delay * 2, BACKOFF_MAX_MS);
		this.onStatus('reconnecting', wait);
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => this.connect(), wait);
	}

	// when the network comes back, do not wait out the backoff
	kick() {
		if (this.running && !this.ws) {
			clearTimeout(this.retryTimer);
			this.delay = BACKOFF_MIN_MS;
			this.connect();
		}
	}
}
