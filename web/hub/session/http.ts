// The HTTP client is shared with headless-node, so it lives with the wire contract.
export { ApiError, requestJson } from '../../../server/protocol/http-client.ts';
