#!/bin/sh
# Make the dialer's prompts: 8 kHz, mono, 16-bit PCM WAV, the one format
# src/media plays. The WAV files are committed; run this again only to
# change a text or the voice (needs espeak-ng and sox).
#
# What a customer on hold hears is no longer made here: it is Debian's
# recorded prompts and music on hold (asterisk-core-sounds-*-wav,
# asterisk-moh-opsound-wav; see the dialer's sounds_dir and moh keys).
#
#   goodbye.wav  played once when no agent took the call in time
#   whisper.wav  played once to the agent before the customer is called
#                (agent_first)
set -eu

cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

VOICE=${VOICE:-en-us}

say() {
	espeak-ng -v "$VOICE" -s 150 -w "$T/raw.wav" "$2"
	sox "$T/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$T/$1.wav" \
		norm -3 pad 0.3 0.5
}

say goodbye "We are sorry, nobody could take your call right now. \
We will call you back soon. Goodbye."
say whisper "Callback. Connecting you to the customer now."

cp "$T/goodbye.wav" goodbye.wav
cp "$T/whisper.wav" whisper.wav

for f in goodbye whisper; do
	printf '%s.wav: %s s\n' "$f" "$(soxi -D "$f.wav")"
done
