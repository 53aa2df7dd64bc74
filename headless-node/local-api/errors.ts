import type { LocalApiErrorCode } from './protocol.ts';

/** A local-API failure with a documented code (docs/local-api.md "Errors"). */
export class LocalApiError extends Error {
  override name = 'LocalApiError';
  constructor(readonly code: LocalApiErrorCode | (string & {}), message: string) {
    super(message);
  }
}
