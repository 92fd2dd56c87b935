// The desk as a phone (an agent whose endpoint is "desk"): the calls come
// as a WebRTC offer on the desk's own WebSocket (server: src/api/desk.c),
// through rtpengine. The desk is a phone while this page holds the
// microphone and says so ({"type":"phone","ready":true}, acknowledged);
// beckon refuses Available otherwise. A call rings (a tone made here),
// is answered with Answer (or by itself: the agent's auto_answer), and
// has Mute, Hold (the customer hears the hold music until Resume; this
// page's microphone is off meanwhile), Hang up and a keypad (RFC 4733
// events, through rtpengine and the bridge to the customer).

import {$, fill, h} from './dom.js';

const RING_ON_MS = 2000;
const RING_EVERY_MS = 4000;
const ACK_MS = 5000;
const KEYS = '123456789*0#';

const KIND_WORDS = {
	desk: 'this desk',
	softphone: 'your softphone',
	fixed: 'your phone line',
	none: 'none set',
};

export function createPhone({send, notify}) {
	let me = null;
	let mic = null;            // the microphone's stream
	let ready = false;         // the server knows this page is a phone
	let ack = null;            // {resolve, reject} of the ready message
	let audio = null;          // the ring's AudioContext
	let ringTimer = 0;
	let call = null;           // {id, sdp, pc, state, muted, held}

	const isDesk = () => !!me && me.agent.phone &&
		me.agent.phone.kind === 'desk';

	// ---- the microphone: the desk becomes a phone ----

	function sayReady(on) {
		return new Promise((resolve, reject) => {
			const t = setTimeout(() => {
				ack = null;
				reject(new Error('the server did not answer'));
			}, ACK_MS);

			ack = {resolve: () => {
				clearTimeout(t);
				resolve();
			}, reject: (e) => {
				clearTimeout(t);
				reject(e);
			}};
			if (!send({type: 'phone', ready: on})) {
				clearTimeout(t);
				ack = null;
				reject(new Error('the desk is not connected'));
			}
		});
	}

	// Get the microphone and tell the server: from a click (Available),
	// or at load when the permission was given before.
	async function enable() {
		if (!isDesk())
			return;
		if (!me.agent.phone.webrtc)
			throw new Error('this server has no WebRTC: the desk ' +
				'cannot be your phone');
		if (!audio) {
			audio = new AudioContext();
		}
		audio.resume().catch(() => {});
		if (!mic) {
			try {
				mic = await navigator.mediaDevices.getUserMedia(
					{audio: true});
			} catch (e) {
				throw new Error(e && e.name === 'NotFoundError'
					? 'no microphone was found: the desk cannot ' +
					  'be your phone'
					: 'the microphone was refused: allow it for ' +
					  'this page to take calls here');
			}
		}
		await sayReady(true);
		ready = true;
		render();
	}

	// after every (re)connect of the live channel: the server forgot
	function online() {
		if (ready)
			sayReady(true).catch(() => {});
	}

	async function sync(m) {
		me = m;
		if (isDesk() && !mic && me.agent.phone.webrtc &&
		    navigator.permissions) {
			try {
				const p = await navigator.permissions.query(
					{name: 'microphone'});
				if (p.state === 'granted')
					await enable();
			} catch {
				// asked again on Available
			}
		}
		render();
	}

	// ---- ringing ----

	function ring(on) {
		clearInterval(ringTimer);
		ringTimer = 0;
		if (!on || !audio)
			return;
		const once = () => {
			const g = audio.createGain();
			const t = audio.currentTime;

			g.gain.setValueAtTime(0.15, t);
			g.gain.setValueAtTime(0, t + RING_ON_MS / 1000);
			g.connect(audio.destination);
			for (const f of [440, 480]) {
				const o = audio.createOscillator();

				o.frequency.value = f;
				o.connect(g);
				o.start(t);
				o.stop(t + RING_ON_MS / 1000);
			}
		};
		once();
		ringTimer = setInterval(once, RING_EVERY_MS);
	}

	// ---- a call ----

	function end(id) {
		if (!call || (id && call.id !== id))
			return;
		ring(false);
		if (call.pc)
			call.pc.close();
		call = null;
		if (mic)
			mic.getAudioTracks().forEach((t) => { t.enabled = true; });
		render();
	}

	async function answer() {
		if (!call || call.state !== 'ringing')
			return;
		const c = call;

		c.state = 'connecting';
		ring(false);
		render();
		try {
			const pc = new RTCPeerConnection({iceServers: []});

			c.pc = pc;
			pc.ontrack = (e) => {
				$('phone-audio').srcObject = new MediaStream([e.track]);
			};
			pc.onconnectionstatechange = () => {
				if (pc.connectionState === 'connected' && call === c) {
					c.state = 'talking';
					render();
				}
				if (pc.connectionState === 'failed' && call === c) {
					send({type: 'hangup', id: c.id,
						reason: 'media_failed'});
					notify('The call\u2019s audio failed (ICE or DTLS).');
					end(c.id);
				}
			};
			await pc.setRemoteDescription({type: 'offer', sdp: c.sdp});
			const tr = pc.getTransceivers()[0];
			tr.direction = 'sendrecv';
			await tr.sender.replaceTrack(mic.getAudioTracks()[0]);
			c.sender = tr.sender;
			await pc.setLocalDescription(await pc.createAnswer());
			if (pc.iceGatheringState !== 'complete')
				await new Promise((r) => pc.addEventListener(
					'icegatheringstatechange', () =>
						pc.iceGatheringState === 'complete' && r()));
			if (call !== c)
				return;
			send({type: 'answer', id: c.id,
				sdp: pc.localDescription.sdp});
		} catch (e) {
			notify(`The call cannot be answered: ${e.message}`);
			send({type: 'hangup', id: c.id, reason: 'media_failed'});
			end(c.id);
		}
	}

	function hangup() {
		if (!call)
			return;
		send({type: 'hangup', id: call.id,
			reason: call.state === 'ringing' ? 'declined' : 'hangup'});
		end(call.id);
	}

	function micOn() {
		const on = !!call && !call.muted && !call.held;

		mic.getAudioTracks().forEach((t) => { t.enabled = on; });
	}

	function mute() {
		if (!call || !mic)
			return;
		call.muted = !call.muted;
		micOn();
		render();
	}

	// the server says "held" or "resumed" once the dialer knows
	function hold() {
		if (!call || call.state !== 'talking')
			return;
		send({type: call.held ? 'unhold' : 'hold', id: call.id});
	}

	function held(id, on) {
		if (!call || call.id !== id)
			return;
		call.held = on;
		micOn();
		render();
	}

	function key(k) {
		if (call && call.sender && call.sender.dtmf)
			call.sender.dtmf.insertDTMF(k, 120, 70);
	}

	function message(msg) {
		switch (msg.type) {
		case 'phone':
			if (ack)
				ack.resolve();
			ack = null;
			return;
		case 'offer':
			if (call)
				end(call.id);
			call = {id: msg.id, sdp: msg.sdp, pc: null,
				state: 'ringing', muted: false, held: false};
			render();
			if (me && me.agent.auto_answer)
				answer();
			else
				ring(true);
			return;
		case 'answered':
			// taken on another desk of theirs
			if (call && call.id === msg.id && !call.pc)
				end(msg.id);
			return;
		case 'call_ended':
			// given up without the dialer: the agent did not see why
			if (msg.reason === 'dialer_lost' && call &&
			    call.id === msg.id)
				notify('The call ended: the link to the dialer ' +
					'was lost.');
			end(msg.id);
			return;
		case 'held':
		case 'resumed':
			held(msg.id, msg.type === 'held');
			return;
		case 'error':
			if (ack) {
				ack.reject(new Error(msg.error === 'no_webrtc'
					? 'this server has no WebRTC'
					: msg.error));
				ack = null;
			}
			return;
		default:
		}
	}

	// ---- the view ----

	const CALL_WORDS = {
		ringing: 'A call for you: answer it here.',
		connecting: 'Connecting the call\u2026',
		talking: 'On the phone.',
	};

	function render() {
		if (!me)
			return;
		const kind = (me.agent.phone && me.agent.phone.kind) || 'none';
		const ok = isDesk() ? ready : !!me.agent.phone_reachable;
		let words = `Your phone: ${KIND_WORDS[kind] || kind}`;

		if (isDesk())
			words += ready ? ' (ready)'
				: ' (not ready: allow the microphone)';
		else if (kind !== 'none')
			words += ok ? ' (reachable)' : ' (not reachable)';
		$('phone-status').textContent = words;
		$('phone-status').dataset.ok = ok ? 'yes' : 'no';
		$('phone-enable').hidden = !isDesk() || ready;

		$('phone-call').hidden = !call;
		if (!call)
			return;
		$('phone-call').dataset.state = call.state;
		$('phone-call').dataset.held = call.held ? 'yes' : 'no';
		$('phone-call-words').textContent = call.held
			? 'On hold: the customer hears the hold music.'
			: CALL_WORDS[call.state];
		$('phone-answer').hidden = call.state !== 'ringing';
		$('phone-mute').hidden = call.state === 'ringing';
		$('phone-mute').setAttribute('aria-pressed', String(call.muted));
		$('phone-mute').textContent = call.muted ? 'Unmute' : 'Mute';
		$('phone-hold').hidden = call.state !== 'talking';
		$('phone-hold').setAttribute('aria-pressed', String(call.held));
		$('phone-hold').textContent = call.held ? 'Resume' : 'Hold';
		$('phone-hangup').textContent = call.state === 'ringing'
			? 'Decline' : 'Hang up';
		$('phone-keypad').hidden = call.state === 'ringing';
	}

	fill($('phone-keypad'), [...KEYS].map((k) => {
		const b = h('button', {type: 'button', 'data-key': k}, k);

		b.addEventListener('click', () => key(k));
		return b;
	}));
	$('phone-answer').addEventListener('click', answer);
	$('phone-hangup').addEventListener('click', hangup);
	$('phone-mute').addEventListener('click', mute);
	$('phone-hold').addEventListener('click', hold);
	$('phone-enable').addEventListener('click', () =>
		enable().catch((e) => notify(e.message)));

	return {sync, message, online, enable, isDesk,
		isReady: () => ready};
}
