import { encode } from 'uqr';

/** A QR code as one SVG path (ECC level M, 4-module quiet zone): scannable by phone cameras. */
export function QrCode(props: { text: string; label: string }) {
  const qr = encode(props.text, { ecc: 'M', border: 4 });
  let d = '';
  qr.data.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z`; }));
  return (
    <svg class="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={props.label} data-qr-text={props.text} shape-rendering="crispEdges">
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
