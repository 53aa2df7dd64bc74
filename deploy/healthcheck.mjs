#!/usr/bin/env node
// Container/systemd health probe: exits 0 when GET /health answers 200, else 1. Plain Node (no
// curl in node:20-slim). Speaks HTTPS when TLS_CERT_FILE is set; the certificate is not verified
// because the probe talks to its own process on loopback, often under a name the cert lacks.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const tls = Boolean(process.env.TLS_CERT_FILE);
const port = Number(process.env.PORT || 8787);
const host = process.env.HEALTHCHECK_HOST || '127.0.0.1';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

const req = (tls ? httpsRequest : httpRequest)(
  { host, port, path: '/health', method: 'GET', timeout: timeoutMs, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
req.on('error', (err) => {
  console.error(`healthcheck: ${tls ? 'https' : 'http'}://${host}:${port}/health: ${err.message}`);
  process.exit(1);
});
req.end();
