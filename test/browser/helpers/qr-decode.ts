import { createRequire } from 'node:module';
import type { Locator } from 'playwright-core';

const JSQR = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');

/**
 * Decodes the QR code drawn by an <svg> element: rasterises it on a canvas in the page and runs
 * jsQR (an independent decoder) over the pixels, so the test checks what a phone camera would read.
 */
export async function decodeSvgQr(svg: Locator): Promise<string | undefined> {
  await svg.page().addScriptTag({ path: JSQR });
  return svg.evaluate(async (el) => {
    const clone = el.cloneNode(true) as Element;
    clone.setAttribute('width', '400');
    clone.setAttribute('height', '400');
    const markup = new XMLSerializer().serializeToString(clone);
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 400;
    const g = canvas.getContext('2d')!;
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, 400, 400);
    const { data } = g.getImageData(0, 0, 400, 400);
    const decode = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
    return decode(data, 400, 400)?.data;
  });
}
