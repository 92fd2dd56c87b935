/*
 * beckon widget: talk in the browser. widget.js loads this file only
 * when the visitor presses "Talk now" (the widget stays small for
 * everyone else), then calls Beckon.voice(o) with its dialog's parts.
 * The microphone is asked for first, then the request is posted with
 * "voice":"browser"; the call's WebSocket (/v1/callbacks/ID/voice, the
 * answer's voice_secret) brings the agent's call as an SDP offer and
 * takes the answer back (docs/webrtc.md). A call whose agent side
 * failed comes back "requeued": this call's connection is dropped, the
 * place in line shown again, and the next offer answered. No number is
 * ever sent.
 */
(function () {
'use strict';

var T = {
en: {
	mic: 'Please allow the microphone…', sending: 'Sending…',
	denied: 'The microphone is blocked. Allow it in your browser’s ' +
	'settings for this site, or ask for a call back.',
	nomic: 'No microphone was found. Connect one, or ask for a call back.',
	off: 'Talking in the browser is not available now. Please ask for a ' +
	'call back.',
	queued: 'You are number {n} in line.', queuedx: 'You are in line.',
	eta: 'Expected wait: about {m} min.',
	eta0: 'Expected wait: under a minute.',
	connecting: 'Connecting…', connected: 'Connected {c}',
	ended: 'The call has ended. Thank you!',
	lost: 'The call was cut off by a technical problem. Sorry!',
	mute: 'Mute', unmute: 'Unmute', hangup: 'Hang up'
},
fr: {
	mic: 'Veuillez autoriser le micro…', sending: 'Envoi…',
	denied: 'Le micro est bloqué. Autorisez-le dans les réglages du ' +
	'navigateur pour ce site, ou demandez à être rappelé.',
	nomic: 'Aucun micro trouvé. Branchez-en un, ou demandez à être ' +
	'rappelé.',
	off: 'Parler dans le navigateur n’est pas possible pour le moment. ' +
	'Demandez à être rappelé.',
	queued: 'Vous êtes numéro {n} dans la file.',
	queuedx: 'Vous êtes dans la file.',
	eta: 'Attente : environ {m} min.', eta0: 'Attente : moins d’une minute.',
	connecting: 'Connexion…', connected: 'En ligne {c}',
	ended: 'L’appel est terminé. Merci !',
	lost: 'L’appel a été coupé par un problème technique. Désolé !',
	mute: 'Couper le micro', unmute: 'Rétablir le micro',
	hangup: 'Raccrocher'
}
};

/*
 * o: api (beckon's origin), biz, lang, h (the widget's element maker),
 * form (hidden during the call, shown again on a way back), box (where
 * the call is shown), err (the form's error line), body (the request's
 * page fields)
 */
window.Beckon.voice = function (o) {
	var L = T[o.lang] || T.en, h = o.h, mic, pc, ws, cb, timer, t0,
	    over = false, st, de, mu, hu;

	function t(k, v) {
		return L[k].replace(/\{(\w)\}/g, function (m, x) {
			return v[x];
		});
	}

	function say(s, d) {
		st.textContent = s;
		de.textContent = d || '';
	}

	function stop() {
		over = true;
		clearTimeout(timer);
		if (ws)
			ws.close();
		if (pc)
			pc.close();
		if (mic)
			mic.getTracks().forEach(function (k) {
				k.stop();
			});
	}

	/* back to "Call me back", saying why; a request made is withdrawn
	 * (no one could answer it here) */
	function back(msg) {
		stop();
		if (cb)
			fetch(o.api + '/v1/callbacks/' + cb.id, {method: 'DELETE',
				mode: 'cors', credentials: 'omit', headers:
				{Authorization: 'Bearer ' + cb.cancel_token}});
		o.box.hidden = true;
		o.form.hidden = false;
		o.err.textContent = msg;
	}

	/* why: the server's reason, if it said one */
	function end(why) {
		if (over)
			return;
		if (ws && ws.readyState == 1)
			ws.send('{"type":"hangup"}');
		stop();
		say(why == 'dialer_lost' ? L.lost : L.ended);
		mu.hidden = hu.hidden = true;
	}

	/* the agent side failed: back in line, the next offer comes here */
	function requeued() {
		clearTimeout(timer);
		if (pc)
			pc.close();
		pc = null;
		t0 = 0;
		mu.hidden = true;
		o.box.querySelectorAll('audio').forEach(function (a) {
			a.remove();
		});
		say(L.queuedx);
		poll();
	}

	function mute() {
		var on = mu.getAttribute('aria-pressed') != 'true';

		mic.getAudioTracks()[0].enabled = !on;
		mu.setAttribute('aria-pressed', on);
		mu.textContent = on ? L.unmute : L.mute;
	}

	/* the place in line until the call comes (the socket says the rest) */
	function poll() {
		if (over || pc)
			return;
		fetch(o.api + '/v1/callbacks/' + cb.id, {mode: 'cors',
			credentials: 'omit', cache: 'no-store'})
			.then(function (r) {
				return r.json();
			}).then(function (j) {
				if (over || pc)
					return;
				if (j.status == 'queued')
					say(j.position > 0 ?
					    t('queued', {n: j.position}) :
					    L.queuedx, j.eta_seconds == null ?
					    '' : j.eta_seconds < 60 ? L.eta0 :
					    t('eta', {m: Math.round(
						    j.eta_seconds / 60)}));
				else
					say(L.connecting);
			}, function () {});
		timer = setTimeout(poll, 3000);
	}

	function tick() {
		var s = Math.floor((Date.now() - t0) / 1000);

		say(t('connected', {c: Math.floor(s / 60) + ':' +
			String(s % 60).padStart(2, '0')}));
		timer = setTimeout(tick, 1000);
	}

	function answer(sdp, ice) {
		clearTimeout(timer);
		say(L.connecting);
		pc = new RTCPeerConnection({iceServers: ice || []});
		pc.ontrack = function (e) {
			var a = h('audio', {autoplay: true});

			a.srcObject = new MediaStream([e.track]);
			o.box.append(a);
		};
		pc.onconnectionstatechange = function () {
			var s = pc.connectionState;

			if (s == 'connected' && !t0) {
				t0 = Date.now();
				mu.hidden = false;
				tick();
			}
			if (s == 'failed')
				end();
		};
		pc.setRemoteDescription({type: 'offer', sdp: sdp})
			.then(function () {
				var tr = pc.getTransceivers()[0];

				tr.direction = 'sendrecv';
				return tr.sender.replaceTrack(
					mic.getAudioTracks()[0]);
			}).then(function () {
				return pc.createAnswer();
			}).then(function (a) {
				return pc.setLocalDescription(a);
			}).then(function () {
				/* the server takes no trickled candidates */
				return pc.iceGatheringState == 'complete' ||
					new Promise(function (k) {
						pc.onicegatheringstatechange =
						function () {
							if (pc.iceGatheringState ==
							    'complete')
								k();
						};
					});
			}).then(function () {
				ws.send(JSON.stringify({type: 'answer',
					sdp: pc.localDescription.sdp}));
			}).catch(function () {
				back(L.off);
			});
	}

	function open() {
		ws = new WebSocket(o.api.replace(/^http/, 'ws') +
			'/v1/callbacks/' + cb.id + '/voice?secret=' +
			cb.voice_secret);
		ws.onmessage = function (e) {
			var m = JSON.parse(e.data);

			if (m.type == 'offer' && !pc)
				answer(m.sdp, m.ice_servers);
			else if (m.type == 'requeued')
				requeued();
			else if (m.type == 'ended')
				/* over before any call came: the server could
				 * not place it (its media engine is down) */
				pc ? end(m.reason) : back(L.off);
		};
		ws.onclose = function () {
			if (!over)
				pc ? end() : back(L.off);
		};
		poll();
	}

	st = h('p', {'class': 'st', id: 'vst', role: 'status',
		     'aria-live': 'polite', 'aria-atomic': 'true'});
	de = h('p', {'class': 'm'});
	mu = h('button', {type: 'button', 'class': 's', text: L.mute,
			  'aria-pressed': 'false', hidden: true, onclick: mute});
	hu = h('button', {type: 'button', 'class': 'p', text: L.hangup,
			  onclick: end});
	o.err.textContent = '';
	o.box.replaceChildren(st, de, mu, hu);
	o.form.hidden = true;
	o.box.hidden = false;
	say(L.mic);
	hu.focus();

	/* the microphone only now, when the visitor asked to talk */
	navigator.mediaDevices.getUserMedia({audio: true}).then(function (m) {
		mic = m;
		if (over)
			return stop();
		say(L.sending);
		o.body.voice = 'browser';
		return fetch(o.api + '/v1/callbacks', {method: 'POST',
			mode: 'cors', credentials: 'omit', headers:
			{'Content-Type': 'application/json'},
			body: JSON.stringify(o.body)}).then(function (r) {
			return r.json().then(function (j) {
				if (r.status != 202 || over)
					return back(L.off);
				cb = j;
				open();
			});
		});
	}, function (e) {
		back(e.name == 'NotFoundError' ||
		     e.name == 'OverconstrainedError' ? L.nomic : L.denied);
	}).catch(function () {
		back(L.off);
	});
};
})();
