import { binaryAsBase64 } from '../local-api/json-lines.ts';

/** What `call` reports about a finished task. */
export interface CallReport {
  result: unknown;
  peer: string;
  tier: string;
  /** Hops on the `routed` tier. */
  hops?: number;
  ms: number;
}

/**
 * Prints streamed chunks and the final result. Human mode: string chunks as they are, other
 * chunks as JSON lines, then the result on stdout (unless it merely repeats the streamed text)
 * and "peer · tier · ms" on stderr. JSON mode: one `{"chunk": …}` line per chunk, then the
 * report as one line. Binary values print as `{"$base64": …}` (JSON has no bytes).
 */
export function createStreamPrinter(opts: { json: boolean }): { chunk(data: unknown): void; result(report: CallReport): void } {
  let openLine = false;
  let streamed = '';
  const out = (text: string) => process.stdout.write(text);
  return {
    chunk(data) {
      if (opts.json) return void out(`${JSON.stringify({ chunk: data }, binaryAsBase64)}\n`);
      if (typeof data === 'string') {
        out(data);
        streamed += data;
        openLine = !data.endsWith('\n');
      } else {
        out(`${openLine ? '\n' : ''}${JSON.stringify(data, binaryAsBase64)}\n`);
        openLine = false;
      }
    },
    result(report) {
      if (opts.json) return void out(`${JSON.stringify(report, binaryAsBase64)}\n`);
      if (openLine) out('\n');
      const repeat = streamed !== '' && report.result === streamed;
      if (report.result !== undefined && report.result !== null && !repeat) out(`${typeof report.result === 'string' ? report.result : JSON.stringify(report.result, binaryAsBase64, 2)}\n`);
      process.stderr.write(`(${report.peer} · ${report.tier}${report.hops ? `, ${report.hops} hops` : ''} · ${report.ms} ms)\n`);
    },
  };
}
