#!/bin/sh
# Make the dialer's prompts: 8 kHz, mono, 16-bit PCM WAV, the one format
# src/media plays. The WAV files are committed; run this again only to
# change a text or the voice (needs espeak-ng and sox).
#
#   hold.wav     played to the customer, looped, while an agent is called:
#                the message, then about 8 s of quiet hold music (a C major
#                arpeggio, kept clear of 440 and 880 Hz, which the tests use
#                as the voices of customer and agent)
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

say hold "Thank you for waiting. We are connecting you to an agent now. \
Please stay on the line."
say goodbye "We are sorry, nobody could take your call right now. \
We will call you back soon. Goodbye."
say whisper "Callback. Connecting you to the customer now."

# the hold music: C5 E5 G5 E5, twice, soft, with short fades
for f in 523.25 659.25 783.99 659.25 523.25 659.25 783.99 1046.5; do
	sox -n -r 8000 -c 1 -b 16 -e signed-integer "$T/n$f.wav" \
		synth 0.9 sine "$f" fade q 0.05 0.9 0.2 vol 0.25
done
sox $(for f in 523.25 659.25 783.99 659.25 523.25 659.25 783.99 1046.5; do
	echo "$T/n$f.wav"; done) "$T/music.wav"

sox "$T/hold.wav" "$T/music.wav" -r 8000 -c 1 -b 16 -e signed-integer \
	hold.wav
cp "$T/goodbye.wav" goodbye.wav
cp "$T/whisper.wav" whisper.wav

for f in hold goodbye whisper; do
	printf '%s.wav: %s s\n' "$f" "$(soxi -D "$f.wav")"
done
