import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '../../protocol/index.ts';

/** A refusal with an HTTP status and a machine-readable code; rendered as `{error:{code,message}}`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: ContentfulStatusCode, readonly code: string, message: string) {
    super(message);
  }
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
