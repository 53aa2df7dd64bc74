/**
 * What browsers really send while setting up a DataChannel: a data-channel-only SDP (~560 B) and
 * trickled ICE candidates (~110-180 B). Both servers relay the same strings in their own envelope.
 */
export const OFFER_SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Zx9K',
  'a=ice-pwd:pX8ZxXjzqUq5mTGqNRwB0H1k',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

export const CANDIDATES = [
  'candidate:1467250027 1 udp 2122260223 192.168.1.23 54210 typ host generation 0 ufrag Zx9K network-id 1 network-cost 10',
  'candidate:842163049 1 udp 1686052607 203.0.113.7 54210 typ srflx raddr 192.168.1.23 rport 54210 generation 0 ufrag Zx9K network-id 1 network-cost 10',
  'candidate:4234997325 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 ufrag Zx9K network-id 1 network-cost 10',
  'candidate:3417620592 1 udp 41885439 198.51.100.20 61234 typ relay raddr 203.0.113.7 rport 54210 generation 0 ufrag Zx9K network-id 1 network-cost 10',
];

/** One negotiation's worth of signaling: an SDP, then its candidates (1 in 5 frames is an SDP). */
export type SignalStep = { kind: 'sdp'; sdp: string } | { kind: 'candidate'; candidate: string; sdpMid: string; sdpMLineIndex: number };

export const SIGNAL_STEPS: SignalStep[] = [
  { kind: 'sdp', sdp: OFFER_SDP },
  ...CANDIDATES.map((candidate): SignalStep => ({ kind: 'candidate', candidate, sdpMid: '0', sdpMLineIndex: 0 })),
];
