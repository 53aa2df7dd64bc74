import { createRequire } from 'node:module';
import type { Locator } from 'playwright-core';

type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = createRequire(import.meta.url)('jsqr') as JsQr;

/**
 * Decodes the QR code drawn by an <svg> element: paints its path on a canvas in the page and runs
 * jsQR (an independent decoder) over the pixels in Node, so the test checks what a phone camera
 * would read. No script tag or data: image goes into the page: the hub's CSP refuses both.
 */
export async function decodeSvgQr(svg: Locator): Promise<string | undefined> {
  const { width, pixels } = await svg.evaluate((el) => {
    const size = Number(el.getAttribute('viewBox')!.split(' ')[2]);
    const scale = Math.max(4, Math.floor(400 / size));
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size * scale;
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.scale(scale, scale);
    g.fillStyle = '#000';
    g.fill(new Path2D(el.querySelector('path')!.getAttribute('d')!));
    const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, pixels: btoa(binary) };
  });
  return jsQR(new Uint8ClampedArray(Buffer.from(pixels, 'base64')), width, width)?.data;
}
